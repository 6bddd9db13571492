package memcached_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawServer is the tests' one raw-protocol helper: it speaks memcached's
// text protocol to one server directly, on a fresh connection per command,
// to see and change what the driver stored without going through the
// driver or gomemcache. Every method fails the test on a network error.
type rawServer struct {
	t       testing.TB
	network string
	addr    string
}

// raw returns the helper for the TCP server at addr.
func raw(t testing.TB, addr string) *rawServer { return rawAt(t, "tcp", addr) }

// rawAt returns the helper for a server reached over network ("tcp" or
// "unix").
func rawAt(t testing.TB, network, addr string) *rawServer {
	return &rawServer{t: t, network: network, addr: addr}
}

// exchange sends cmd (and data as its data block, when not nil) and hands
// the answer's reader to read.
func (r *rawServer) exchange(cmd string, data []byte, read func(*bufio.Reader) error) {
	r.t.Helper()
	c, err := net.DialTimeout(r.network, r.addr, 2*time.Second)
	require.NoError(r.t, err)
	defer c.Close()
	require.NoError(r.t, c.SetDeadline(time.Now().Add(5*time.Second)))
	msg := []byte(cmd + "\r\n")
	if data != nil {
		msg = append(append(msg, data...), '\r', '\n')
	}
	_, err = c.Write(msg)
	require.NoError(r.t, err)
	require.NoError(r.t, read(bufio.NewReader(c)))
}

// Line sends one command and returns the first line of the answer, without
// its "\r\n".
func (r *rawServer) Line(cmd string) string {
	r.t.Helper()
	var line string
	r.exchange(cmd, nil, func(br *bufio.Reader) error {
		var err error
		line, err = readLine(br)
		return err
	})
	return line
}

// store sends a storage command (set, add, append) and returns the answer.
func (r *rawServer) store(verb, key string, value []byte, exptime int64) string {
	r.t.Helper()
	var line string
	r.exchange(fmt.Sprintf("%s %s 0 %d %d", verb, key, exptime, len(value)), value, func(br *bufio.Reader) error {
		var err error
		line, err = readLine(br)
		return err
	})
	return line
}

// Set stores value under key for exptime; it returns the server's answer
// ("STORED", or the error line).
func (r *rawServer) Set(key string, value []byte, exptime int64) string {
	r.t.Helper()
	return r.store("set", key, value, exptime)
}

// Append appends value to key; it returns the server's answer.
func (r *rawServer) Append(key string, value []byte) string {
	r.t.Helper()
	return r.store("append", key, value, 0)
}

// Get returns the value under key and whether there is one.
func (r *rawServer) Get(key string) ([]byte, bool) {
	r.t.Helper()
	var (
		value []byte
		found bool
	)
	r.exchange("get "+key, nil, func(br *bufio.Reader) error {
		line, err := readLine(br)
		if err != nil || line == "END" {
			return err
		}
		f := strings.Fields(line)
		if len(f) != 4 || f[0] != "VALUE" {
			return fmt.Errorf("unexpected answer %q", line)
		}
		n, err := strconv.Atoi(f[3])
		if err != nil {
			return err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		value, found = buf[:n], true
		_, err = readLine(br) // END
		return err
	})
	return value, found
}

// Has reports whether key holds an item.
func (r *rawServer) Has(key string) bool {
	r.t.Helper()
	_, ok := r.Get(key)
	return ok
}

// TTL returns the remaining TTL memcached reports for key (meta get with
// the t flag): -1 for no expiry; it fails the test on a miss.
func (r *rawServer) TTL(key string) int64 {
	r.t.Helper()
	line := r.Line("mg " + key + " t")
	f := strings.Fields(line)
	require.Equal(r.t, "HD", f[0], "item missing: %q", line)
	for _, fl := range f[1:] {
		if v, ok := strings.CutPrefix(fl, "t"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(r.t, err)
			return n
		}
	}
	r.t.Fatalf("no TTL in %q", line)
	return 0
}

// Stats returns the numeric fields of "stats" (or of "stats <group>").
func (r *rawServer) Stats(group ...string) map[string]int64 {
	r.t.Helper()
	out := map[string]int64{}
	r.exchange(strings.Join(append([]string{"stats"}, group...), " "), nil, func(br *bufio.Reader) error {
		for {
			line, err := readLine(br)
			if err != nil || line == "END" {
				return err
			}
			f := strings.Fields(line)
			if len(f) == 3 && f[0] == "STAT" {
				if v, err := strconv.ParseInt(f[2], 10, 64); err == nil {
					out[f[1]] = v
				}
			}
		}
	})
	return out
}

// Requests is how many requests the server has answered of the kinds the
// driver sends: get/gets, set/add/append/cas, touch and delete.
func (r *rawServer) Requests() int64 {
	r.t.Helper()
	st := r.Stats()
	return st["cmd_get"] + st["cmd_set"] + st["cmd_touch"] + st["delete_hits"] + st["delete_misses"]
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}
