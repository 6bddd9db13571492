package mysql

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// greeting is a protocol 10 handshake packet as MariaDB sends it, cut
// after the thread id (the rest does not matter here).
func greeting(version string, id uint32) []byte {
	payload := append([]byte{10}, version...)
	payload = append(payload, 0)
	payload = binary.LittleEndian.AppendUint32(payload, id)
	payload = append(payload, "12345678\x00rest-of-handshake"...)
	head := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), 0}
	return append(head, payload...)
}

// readAll reads g through an idConn in chunks of n bytes.
func readAll(t *testing.T, g []byte, n int) *idConn {
	t.Helper()
	server, client := net.Pipe()
	go func() {
		for len(g) > 0 {
			k := min(n, len(g))
			_, _ = server.Write(g[:k])
			g = g[k:]
		}
		_ = server.Close()
	}()
	c := &idConn{Conn: client}
	var got bytes.Buffer
	buf := make([]byte, n)
	for {
		k, err := c.Read(buf)
		got.Write(buf[:k])
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	require.NoError(t, c.Close())
	return c
}

func TestIdConnReadsThreadID(t *testing.T) {
	g := greeting("5.5.5-10.11.6-MariaDB-0+deb12u1", 0xdeadbeef)
	for _, n := range []int{1, 3, 7, 4096} {
		c := readAll(t, g, n)
		assert.Equal(t, uint32(0xdeadbeef), c.threadID(), "read in chunks of %d bytes", n)
		assert.True(t, c.parsed.Load())
	}
	// Not a protocol 10 greeting (an error packet: too many connections):
	// no id, and reads pass through.
	c := readAll(t, append([]byte{9, 0, 0, 0, 0xff}, "\x10\x04Too many"...), 4)
	assert.Zero(t, c.threadID())
	assert.True(t, c.parsed.Load())
}

func TestIdConnOnClose(t *testing.T) {
	_, client := net.Pipe()
	c := &idConn{Conn: client}
	calls := 0
	c.onClose(func() { calls++ })
	require.NoError(t, c.Close())
	assert.Equal(t, 1, calls)
	c.onClose(func() { calls++ })
	assert.Equal(t, 2, calls, "registered after the close: run at once")
}

func TestThreadIDs(t *testing.T) {
	var ids threadIDs
	a, b := new(int), new(int)
	ids.m.Store(a, uint32(7))
	assert.Equal(t, uint32(7), ids.of(a))
	assert.Zero(t, ids.of(b))
}
