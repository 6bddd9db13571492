package tripcount

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A write and its answer are one round trip; the next write and its
// answer another.
func TestDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 16)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			_, _ = c.Write([]byte("k"))
		}
	}()
	trips := new(atomic.Int64)
	c, err := Dial(trips)(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, 1)
	for range 2 {
		_, err = c.Write([]byte("q"))
		require.NoError(t, err)
		_, err = c.Read(buf)
		require.NoError(t, err)
	}
	assert.Equal(t, int64(2), trips.Load())
}
