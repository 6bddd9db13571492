package bench

import (
	"net"
	"strconv"
	"testing"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// Our memcached driver in the shared workload and in BenchmarkOurs. It is
// the only file of the package that needs the driver itself.
func init() {
	register(target{name: "ours", memcached: true, open: func(tb testing.TB, addr string) kv {
		return oursKV{openOursMemcached(tb, addr)}
	}})
	oursDrivers = append(oursDrivers, oursDriver{"memcached", func(tb testing.TB) session.Storage {
		return openOursMemcached(tb, memcachedAddr(tb))
	}})
}

func openOursMemcached(tb testing.TB, addr string) *memcached.Storage {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatalf("memcached address %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		tb.Fatalf("memcached address %q: %v", addr, err)
	}
	s, err := memcached.New(memcached.Config{Host: host, Port: p, PoolSize: poolSize})
	if err != nil {
		tb.Fatalf("memcached.New: %v", err)
	}
	return s
}
