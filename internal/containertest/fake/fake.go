// Package fake holds the test doubles that the container core's tests and
// the helpers built on it (memcachedtest, …) share: a testing.TB that
// records a skip or a failure, the check that a Start gives up the way
// the core promises, and loopback servers that answer a probe with canned
// bytes. It imports no part of the core, so the core's own tests can use
// it too.
package fake

import (
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TB records Skipf and Fatalf and ends the calling goroutine, as
// testing.T does; the rest of testing.TB is not to be called.
type TB struct {
	testing.TB
	SkipMessage, FailMessage string
}

func (f *TB) Helper()             {}
func (f *TB) Logf(string, ...any) {}
func (f *TB) Cleanup(func())      {}

func (f *TB) Skipf(format string, args ...any) {
	f.SkipMessage = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *TB) Fatalf(format string, args ...any) {
	f.FailMessage = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// Run calls fn(tb) on a goroutine of its own (Skipf and Fatalf end it) and
// reports whether fn returned.
func Run(tb *TB, fn func(testing.TB)) (returned bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
		returned = true
	}()
	<-done
	return returned
}

// RequireGivesUp checks that start skips by default and fails when the
// environment variable requireDocker is 1, neither time returning, with a
// message that holds every want.
func RequireGivesUp(t *testing.T, requireDocker string, start func(testing.TB), want ...string) {
	t.Helper()
	cases := []struct {
		name, require string
		skip          bool
	}{
		{name: "skips by default", require: "", skip: true},
		{name: "fails when required", require: "1", skip: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(requireDocker, tc.require)
			tb := &TB{}
			assert.False(t, Run(tb, start), "Start must not return")
			msg := tb.FailMessage
			if tc.skip {
				msg = tb.SkipMessage
				assert.Empty(t, tb.FailMessage)
				assert.Contains(t, msg, requireDocker+"=1 to fail instead")
			} else {
				assert.Empty(t, tb.SkipMessage)
				assert.Contains(t, msg, requireDocker+"=1 requires")
			}
			for _, w := range want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

// Server runs serve on every connection to a loopback listener (each
// within 5 s) and returns its address; it stops at cleanup.
func Server(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			serve(c)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); <-done })
	return l.Addr().String()
}

// ReplyServer answers every connection with reply after reading its first
// bytes.
func ReplyServer(t *testing.T, reply string) string {
	return Server(t, func(c net.Conn) {
		buf := make([]byte, 64)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte(reply))
	})
}

// ClosedAddr is a loopback address nothing listens on.
func ClosedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
