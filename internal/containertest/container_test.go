package containertest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests in this file run containers of the Redis image (SESSIONSTORE_REDIS_IMAGE, e.g.
// from scripts/build-redis-image.sh): they skip without Docker or the image, or fail under
// SESSIONSTORE_REQUIRE_DOCKER=1.

func TestStartPublishesOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	c := Start(t, redisSpec())

	assert.Positive(t, c.Port())
	assert.Equal(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port())), c.Addr())
	hp, err := c.HostPort("6379")
	require.NoError(t, err)
	assert.Equal(t, c.Port(), hp)
	_, err = c.HostPort("6380/tcp")
	assert.Error(t, err, "not a port of the container")
	assert.False(t, c.HostNetwork())
	assert.Equal(t, RedisImage.Resolve(), c.Image())

	reply, err := redis(c.Addr(), "SET", "k", "v")
	require.NoError(t, err)
	assert.Equal(t, "OK", reply)
	reply, err = redis(c.Addr(), "GET", "k")
	require.NoError(t, err)
	assert.Equal(t, "v", reply)

	insp, err := dockerCLI(t).ContainerInspect(t.Context(), c.ID(), client.ContainerInspectOptions{})
	require.NoError(t, err)
	bindings := insp.Container.NetworkSettings.Ports
	require.Len(t, bindings, 1)
	for port, bs := range bindings {
		assert.Equal(t, "6379/tcp", port.String())
		require.Len(t, bs, 1, "one binding, not one per address family")
		assert.Equal(t, "127.0.0.1", bs[0].HostIP.String(), "published on loopback only")
		assert.Equal(t, strconv.Itoa(c.Port()), bs[0].HostPort)
	}
	labels := insp.Container.Config.Labels
	assert.Equal(t, "1", labels["org.sessionstore.containertest"])
	assert.Equal(t, "1", labels["org.sessionstore.coretest"])
	assert.Contains(t, containersLabelled(t, LabelAll, "1"), c.ID(), "found by the leftover filter")
}

func TestStartIsolatesContainers(t *testing.T) {
	t.Parallel()
	a := Start(t, redisSpec())
	b := Start(t, redisSpec())
	require.NotEqual(t, a.Addr(), b.Addr())
	_, err := redis(a.Addr(), "SET", "only-a", "x")
	require.NoError(t, err)
	reply, err := redis(b.Addr(), "EXISTS", "only-a")
	require.NoError(t, err)
	assert.Equal(t, "0", reply)
}

func TestStopStartKeepsAddress(t *testing.T) {
	t.Parallel()
	c := Start(t, redisSpec())
	ctx := t.Context()
	addr := c.Addr()

	require.NoError(t, c.Stop(ctx))
	require.NoError(t, c.Stop(ctx), "stopping a stopped container is a no-op")
	_, err := redis(addr, "PING")
	require.Error(t, err, "a stopped server must not answer")

	start := time.Now()
	require.NoError(t, c.Start(ctx))
	t.Logf("redis restart to PONG: %v", time.Since(start).Round(time.Millisecond))
	assert.Equal(t, addr, c.Addr())
	reply, err := redis(addr, "PING")
	require.NoError(t, err, "Start returns once the probe answers")
	assert.Equal(t, "PONG", reply)
}

func TestRunAndTerminate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, err := Run(ctx, redisSpec())
	if Unavailable(err) {
		SkipOrFail(t, redisSpec(), err)
	}
	require.NoError(t, err)
	_, err = redis(c.Addr(), "PING")
	require.NoError(t, err)

	require.NoError(t, c.Terminate(ctx))
	require.NoError(t, c.Terminate(ctx), "Terminate twice is a no-op")
	_, err = redis(c.Addr(), "PING")
	require.Error(t, err, "a terminated server must not answer")
	require.ErrorIs(t, c.Start(ctx), ErrTerminated)
	require.ErrorIs(t, c.Stop(ctx), ErrTerminated)
	_, err = c.Exec(ctx, "true")
	require.ErrorIs(t, err, ErrTerminated)
	_, err = c.Logs(ctx)
	require.ErrorIs(t, err, ErrTerminated)
	assert.NotContains(t, containersLabelled(t, LabelAll, "1"), c.ID(), "removed")
}

func TestTerminateStoppedContainer(t *testing.T) {
	t.Parallel()
	c, err := Run(t.Context(), redisSpec())
	if Unavailable(err) {
		SkipOrFail(t, redisSpec(), err)
	}
	require.NoError(t, err)
	require.NoError(t, c.Stop(t.Context()))
	require.NoError(t, c.Terminate(t.Context()), "a stopped container can be terminated")
}

// TestExitBeforeReadyFailsFast: a server that exits (here: a bad flag) is reported at once
// with its last output, and its container is removed.
func TestExitBeforeReadyFailsFast(t *testing.T) {
	t.Parallel()
	spec := redisSpec("--no-such-option", "x")
	spec.Labels = map[string]string{"org.sessionstore.coretest.case": "exit-before-ready"}
	start := time.Now()
	_, err := Run(t.Context(), spec)
	if Unavailable(err) {
		SkipOrFail(t, spec, err)
	}
	require.ErrorIs(t, err, ErrExited)
	assert.Less(t, time.Since(start), 30*time.Second, "well before the 60 s readiness limit")
	assert.Contains(t, err.Error(), "exit code 1")
	assert.Contains(t, err.Error(), "Bad directive or wrong number of arguments", "the server's last words")
	assert.Empty(t, containersLabelled(t, "org.sessionstore.coretest.case", "exit-before-ready"), "the failed container is removed")
}

func TestExec(t *testing.T) {
	t.Parallel()
	c := Start(t, redisSpec())
	ctx := t.Context()

	out, err := c.Exec(ctx, "redis-cli", "PING")
	require.NoError(t, err)
	assert.Equal(t, "PONG\n", out)

	out, err = c.Exec(ctx, "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3")
	var execErr *ExecError
	require.ErrorAs(t, err, &execErr)
	assert.Equal(t, 3, execErr.ExitCode)
	assert.Contains(t, out, "to-stdout")
	assert.Contains(t, out, "to-stderr")
	assert.Equal(t, out, execErr.Output)
	assert.Contains(t, err.Error(), "status 3")

	_, err = c.Exec(ctx)
	assert.Error(t, err, "no command")
}

func TestFilesAreCopiedBeforeStart(t *testing.T) {
	t.Parallel()
	spec := redisSpec()
	spec.Cmd = []string{"redis-server", "/data/redis.conf"}
	spec.Files = []File{
		{ContainerPath: "/data/redis.conf", Content: []byte("port 6379\nprotected-mode no\nsave \"\"\nappendonly no\nmaxmemory 12345678\n")},
		{ContainerPath: "/data/rewritable.conf", Content: []byte("x\n"), Mode: 0o666},
		{ContainerPath: "/data/sub/dir/nested.txt", Content: []byte("nested\n")},
	}
	c := Start(t, spec)
	ctx := t.Context()

	reply, err := redis(c.Addr(), "CONFIG", "GET", "maxmemory")
	require.NoError(t, err)
	assert.Equal(t, "maxmemory 12345678", reply, "the server ran with the copied config")
	out, err := c.Exec(ctx, "ls", "-l", "/data/rewritable.conf", "/data/redis.conf")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	assert.True(t, strings.HasPrefix(lines[0], "-rw-r--r--"), "default mode 0644: %s", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "-rw-rw-rw-"), "mode as given: %s", lines[1])
	out, err = c.Exec(ctx, "cat", "/data/sub/dir/nested.txt")
	require.NoError(t, err, "missing parent directories are created")
	assert.Equal(t, "nested\n", out)
}

// TestTLSWithMountedCerts: a certificate directory bind-mounted read-only serves Redis TLS
// (Debian's Redis is built with TLS) to a custom probe that verifies the certificate.
func TestTLSWithMountedCerts(t *testing.T) {
	t.Parallel()
	dir, pool := writeCert(t)
	spec := redisSpec("--port", "0", "--tls-port", "6379",
		"--tls-cert-file", "/tls/cert.pem", "--tls-key-file", "/tls/key.pem",
		"--tls-ca-cert-file", "/tls/cert.pem", "--tls-auth-clients", "no")
	spec.Mounts = []Mount{{HostPath: dir, ContainerPath: "/tls", ReadOnly: true}}
	spec.Probe = tlsPing(pool)
	c := Start(t, spec)

	require.NoError(t, tlsPing(pool)(t.Context(), c.Addr()))
	reply, err := redis(c.Addr(), "PING")
	assert.True(t, err != nil || reply != "PONG", "plain text is not served on the TLS port (reply %q)", reply)
	out, err := c.Exec(t.Context(), "sh", "-c", "echo x > /tls/new")
	assert.Error(t, err, "the mount is read-only: %s", out)
}

// TestHostNetwork: a server in the host's network binds the loopback port the caller chose;
// nothing is published.
func TestHostNetwork(t *testing.T) {
	t.Parallel()
	port, err := FreePort()
	require.NoError(t, err)
	p := strconv.Itoa(port)
	spec := Spec{
		Name:        "coretest",
		Image:       RedisImage,
		HostNetwork: true,
		Ports:       []string{p},
		Cmd:         []string{"redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"},
		Probe:       RequestProbe("PING\r\n", "+PONG"),
	}
	c := Start(t, spec)

	assert.True(t, c.HostNetwork())
	assert.Equal(t, "127.0.0.1:"+p, c.Addr())
	reply, err := redis(c.Addr(), "CONFIG", "GET", "bind")
	require.NoError(t, err)
	assert.Equal(t, "bind 127.0.0.1", reply)
	out, err := c.Exec(t.Context(), "redis-cli", "-h", "127.0.0.1", "-p", p, "PING")
	require.NoError(t, err)
	assert.Equal(t, "PONG\n", out, "inside and outside share the loopback interface")

	insp, err := dockerCLI(t).ContainerInspect(t.Context(), c.ID(), client.ContainerInspectOptions{})
	require.NoError(t, err)
	assert.Equal(t, "host", string(insp.Container.HostConfig.NetworkMode))
	assert.Empty(t, insp.Container.NetworkSettings.Ports, "nothing published")

	require.NoError(t, c.Stop(t.Context()))
	require.NoError(t, c.Start(t.Context()))
	_, err = redis(c.Addr(), "PING")
	require.NoError(t, err, "same port after a restart")
}

func TestHostNetworkPortTakenFailsFast(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	p := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	spec := Spec{
		Name:        "coretest",
		Image:       RedisImage,
		HostNetwork: true,
		Ports:       []string{p},
		Cmd:         []string{"redis-server", "--port", p, "--bind", "127.0.0.1"},
		Probe:       RequestProbe("PING\r\n", "+PONG"),
	}
	_, err = Run(t.Context(), spec)
	if Unavailable(err) {
		SkipOrFail(t, spec, err)
	}
	require.ErrorIs(t, err, ErrExited)
	assert.Contains(t, err.Error(), "Address already in use")
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
		return FreePort()
	}

	c := Start(t, redisSpec())
	assert.NotEqual(t, takenPort, c.Port())
	assert.Equal(t, 2, calls, "one retry after the conflict")
	require.NoError(t, RequestProbe("PING\r\n", "+PONG")(t.Context(), c.Addr()))
}

// TestReadyLogAndLogs: a container told ready by a log line alone; after a restart Start
// waits for the line anew; Logs has the output of both runs.
func TestReadyLogAndLogs(t *testing.T) {
	t.Parallel()
	spec := redisSpec()
	spec.Probe = nil
	spec.ReadyLog = "Ready to accept connections"
	c := Start(t, spec)
	ctx := t.Context()

	_, err := redis(c.Addr(), "PING")
	require.NoError(t, err, "Redis logs the line once it listens")
	require.NoError(t, c.Stop(ctx))
	require.NoError(t, c.Start(ctx))
	logs, err := c.Logs(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(logs, spec.ReadyLog), "one line per start:\n%s", logs)
	assert.Contains(t, logs, "Received SIGTERM", "the output of the stopped run is kept")
}

func TestStartContextCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Run(ctx, redisSpec())
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled) || Unavailable(err), "%v", err)
}

// TestConcurrentUse: Logs and Exec from other goroutines while the container restarts and
// is terminated; run with -race. Errors are expected while it is down, never a race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c, err := Run(t.Context(), redisSpec())
	if Unavailable(err) {
		SkipOrFail(t, redisSpec(), err)
	}
	require.NoError(t, err)
	ctx := t.Context()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				_, _ = c.Logs(ctx)
				_, _ = c.Exec(ctx, "true")
			}
		})
	}
	require.NoError(t, c.Stop(ctx))
	require.NoError(t, c.Start(ctx))
	require.NoError(t, c.Terminate(ctx))
	close(done)
	wg.Wait()
	_, err = c.Logs(ctx)
	require.ErrorIs(t, err, ErrTerminated)
}
