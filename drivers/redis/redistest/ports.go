package redistest

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// Cluster nodes and Sentinels run in the host's network, so they announce 127.0.0.1:<port>
// and the tests reach them there; the ports are chosen here. A Cluster node also listens
// on its bus port, port+10000, which must be free too and stay below the ephemeral range
// (32768 and up on Linux), where the kernel hands out ports to outgoing connections. So
// ports come from [portLow, portHigh): with their bus ports they span 12000–32767.
const (
	portLow  = 12000
	portHigh = 22768
	busShift = 10000
)

// ErrNoPort reports that no free pair of loopback ports was found.
var ErrNoPort = errors.New("redistest: no free loopback port")

var (
	portsMu sync.Mutex
	// handedOut are the ports this process gave out, so that two set-ups of one test
	// binary never pick the same port even before its server binds it.
	handedOut = map[int]bool{}
)

// freePort picks a random port whose bus port is free as well, by binding both on
// 127.0.0.1 (then releasing them). Several test binaries may run at once: a port can still
// be taken before the server binds it, and the caller then retries with another.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 200 {
		p := portLow + rand.IntN(portHigh-portLow)
		if handedOut[p] || handedOut[p+busShift] || handedOut[p-busShift] {
			continue
		}
		if !bindable(p) || !bindable(p+busShift) {
			continue
		}
		handedOut[p] = true
		return p, nil
	}
	return 0, ErrNoPort
}

func bindable(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(containertest.Host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
