package memcachedtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/internal/containertest"
)

// The generic parts (engine detection, environment, pulls, ports, readiness) are tested in
// internal/containertest; these tests cover what this package adds or must keep.

func TestImage(t *testing.T) {
	t.Setenv(EnvImage, "")
	assert.Equal(t, DefaultImage, Image())
	t.Setenv(EnvImage, " sessionstore/memcached:local ")
	assert.Equal(t, "sessionstore/memcached:local", Image())
}

func TestImageMatchesCore(t *testing.T) {
	assert.Equal(t, containertest.MemcachedImage, image, "one name for the variable CI exports")
	assert.Equal(t, containertest.EnvRequireDocker, EnvRequireDocker)
}

func TestSpec(t *testing.T) {
	s := spec([]Option{WithArgs("-I", "2m"), nil, WithArgs("-m", "64")})
	assert.Equal(t, "memcachedtest", s.Name, "keeps the label org.sessionstore.memcachedtest=1")
	assert.Equal(t, []string{"11211/tcp"}, s.Ports)
	assert.Equal(t, []string{"-I", "2m", "-m", "64"}, s.Cmd)
	assert.NotNil(t, s.Probe)
	assert.Empty(t, spec(nil).Cmd, "no flags: the image's own command")
}

// fakeServer answers every connection with reply and closes it.
func fakeServer(t *testing.T, reply string) string {
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
			buf := make([]byte, 64)
			_, _ = c.Read(buf)
			_, _ = c.Write([]byte(reply))
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = l.Close(); <-done })
	return l.Addr().String()
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, probe(ctx, fakeServer(t, "VERSION 1.6.18\r\n")))
	require.ErrorContains(t, probe(ctx, fakeServer(t, "ERROR\r\n")), "unexpected answer")
	require.Error(t, probe(ctx, fakeServer(t, "")), "a connection closed without answer is not ready")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	require.Error(t, probe(ctx, addr), "nothing listening")
}

// fakeTB records Skipf/Fatalf and ends the calling goroutine like testing.T does.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Cleanup(func())      {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// requireStartGivesUp checks that Start skips by default and fails under
// EnvRequireDocker=1, neither time returning, with a message that holds want.
func requireStartGivesUp(t *testing.T, want ...string) {
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
			t.Setenv(EnvRequireDocker, tc.require)
			tb := &fakeTB{}
			returned := false
			done := make(chan struct{})
			go func() {
				defer close(done)
				Start(tb)
				returned = true
			}()
			<-done
			assert.False(t, returned, "Start must not return")
			msg := tb.failed
			if tc.skip {
				msg = tb.skipped
				assert.Empty(t, tb.failed)
				assert.Contains(t, msg, EnvRequireDocker+"=1 to fail instead")
			} else {
				assert.Empty(t, tb.skipped)
				assert.Contains(t, msg, EnvRequireDocker+"=1 requires")
			}
			for _, w := range want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

// TestStartWithoutImage: a reachable engine that has not got the image and cannot pull it
// (no registry) skips the test, or fails it when Docker is required, saying how to build a
// local image. (That the failed pull is remembered is tested in the core.)
func TestStartWithoutImage(t *testing.T) {
	const missing = "sessionstore/memcachedtest-no-such-image:missing"
	t.Setenv(EnvImage, missing)

	_, err := Run(t.Context())
	if errors.Is(err, ErrNoDocker) {
		t.Setenv(EnvImage, "")
		Start(t) // skips, or fails when Docker is required
	}
	require.ErrorIs(t, err, ErrNoImage)
	assert.NotErrorIs(t, err, ErrNoDocker)
	assert.Contains(t, err.Error(), missing)
	assert.Contains(t, err.Error(), EnvImage, "the error says how to use a local image")

	// Start reports the (remembered) failure the same way.
	requireStartGivesUp(t, missing, EnvImage, "scripts/build-memcached-image.sh", "memcachedtest")
}

func TestNewStorageBadConfigFails(t *testing.T) {
	tb := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		NewStorage(tb, memcached.Config{Socket: "/tmp/mc.sock", Servers: []string{"127.0.0.1:1"}})
	}()
	<-done
	assert.Contains(t, tb.failed, "memcached.New")
	assert.Contains(t, tb.failed, "invalid configuration")
}

func TestTerminateStoppedServer(t *testing.T) {
	srv, err := Run(t.Context())
	if errors.Is(err, ErrNoDocker) || errors.Is(err, ErrNoImage) {
		Start(t) // skips, or fails when Docker is required
	}
	require.NoError(t, err)
	require.NoError(t, srv.Stop(t.Context()))
	require.NoError(t, srv.Terminate(t.Context()), "a stopped server can be terminated")
}

func TestZeroServerErrs(t *testing.T) {
	var s Server
	ctx := t.Context()
	assert.ErrorContains(t, s.Stop(ctx), "not started")
	assert.ErrorContains(t, s.Start(ctx), "not started")
	assert.ErrorContains(t, s.Terminate(ctx), "not started")
}
