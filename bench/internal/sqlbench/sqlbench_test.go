package sqlbench

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRotated(t *testing.T) {
	ts := []Target{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	names := func(ts []Target) (out []string) {
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", "c"}, names(Rotated(ts, "")))
	assert.Equal(t, []string{"b", "c", "a"}, names(Rotated(ts, "1")))
	assert.Equal(t, []string{"c", "a", "b"}, names(Rotated(ts, "5")))
	assert.Equal(t, []string{"a", "b", "c"}, names(ts), "the original order stays")
}

func TestSessionKey(t *testing.T) {
	assert.Len(t, SessionKey(7), 43)
	assert.NotEqual(t, SessionKey(7), SessionKey(8))
	assert.Equal(t, "YQ", Encode("a"))
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 2*time.Second, median([]time.Duration{3 * time.Second, time.Second, 2 * time.Second}))
}

// Two writes and a read are one round trip; a read after a second write
// another.
func TestCountingDial(t *testing.T) {
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
	c, err := CountingDial(trips)(context.Background(), "tcp", ln.Addr().String())
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
