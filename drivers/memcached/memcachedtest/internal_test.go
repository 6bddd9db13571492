package memcachedtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/sessionstore/sessionstore/drivers/memcached"
)

func TestImage(t *testing.T) {
	t.Setenv(EnvImage, "")
	assert.Equal(t, DefaultImage, Image())
	t.Setenv(EnvImage, " sessionstore/memcached:local ")
	assert.Equal(t, "sessionstore/memcached:local", Image())
}

func TestRequireDocker(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "no": false, "1": true, "true": true, "TRUE": true} {
		t.Setenv(EnvRequireDocker, v)
		assert.Equal(t, want, requireDocker(), "value %q", v)
	}
}

func TestIsPortConflict(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{errors.New("driver failed programming external connectivity: Bind for 127.0.0.1:4000 failed: port is already allocated"), true},
		{errors.New("listen tcp4 127.0.0.1:4000: bind: address already in use"), true},
		{errors.New("no such image"), false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, isPortConflict(tc.err), tc.err.Error())
	}
}

func TestFreePort(t *testing.T) {
	port, err := freePort()
	require.NoError(t, err)
	l, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(port)))
	require.NoError(t, err, "the chosen port must be free to bind")
	require.NoError(t, l.Close())
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

func TestLocalDaemonRespectsDockerHost(t *testing.T) {
	if _, err := net.InterfaceByName("docker0"); err != nil {
		t.Setenv("DOCKER_HOST", "")
		assert.False(t, localDaemon(), "without docker0 the daemon is not assumed local")
		return
	}
	cases := map[string]bool{"": true, "unix:///var/run/docker.sock": true, "tcp://10.0.0.5:2376": false, "ssh://host": false}
	for host, want := range cases {
		t.Setenv("DOCKER_HOST", host)
		assert.Equal(t, want, localDaemon(), "DOCKER_HOST=%q", host)
	}
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

func TestStartWithoutDocker(t *testing.T) {
	orig := connectDocker
	t.Cleanup(func() { connectDocker = orig })
	connectDocker = func(context.Context) (*testcontainers.DockerClient, error) {
		return nil, fmt.Errorf("%w: dial unix /var/run/docker.sock: connect: no such file or directory", ErrNoDocker)
	}
	requireStartGivesUp(t, "no Docker engine reachable", "no such file or directory")
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
// (no registry) skips the test, or fails it when Docker is required; a second Start does
// not try to pull again.
func TestStartWithoutImage(t *testing.T) {
	cli, err := connectDocker(t.Context())
	if err != nil {
		Start(t) // skips, or fails when Docker is required
	}
	require.NoError(t, err)
	_ = cli.Close()
	const missing = "sessionstore/memcachedtest-no-such-image:missing"
	t.Setenv(EnvImage, missing)
	t.Cleanup(func() { failedPulls.Delete(missing) })

	_, err = Run(t.Context())
	require.ErrorIs(t, err, ErrNoImage)
	assert.NotErrorIs(t, err, ErrNoDocker)
	assert.Contains(t, err.Error(), missing)
	assert.Contains(t, err.Error(), EnvImage, "the error says how to use a local image")
	_, ok := failedPulls.Load(missing)
	require.True(t, ok, "a failed pull is remembered")

	// Start reports the remembered failure instead of pulling again.
	failedPulls.Store(missing, fmt.Errorf("%w: remembered failure", ErrNoImage))
	requireStartGivesUp(t, "remembered failure")
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

// TestRunRetriesTakenPort: when the chosen port is taken by the time Docker binds it, Run
// picks another one instead of failing.
func TestRunRetriesTakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port

	orig := pickPort
	t.Cleanup(func() { pickPort = orig })
	calls := 0
	pickPort = func() (int, error) {
		calls++
		if calls == 1 {
			return takenPort, nil
		}
		return freePort()
	}

	srv := Start(t)
	assert.NotEqual(t, takenPort, srv.Port)
	assert.Equal(t, 2, calls, "one retry after the conflict")
	require.NoError(t, probe(t.Context(), srv.Addr))
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
