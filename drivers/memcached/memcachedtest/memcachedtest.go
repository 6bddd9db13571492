package memcachedtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Environment variables read by this package.
const (
	// EnvImage names the memcached image to run instead of DefaultImage, for example a local
	// one built by scripts/build-memcached-image.sh when no registry is reachable.
	EnvImage = "SESSIONSTORE_MEMCACHED_IMAGE"
	// EnvRequireDocker set to "1" (or "true") turns the skip without a Docker engine or
	// without the image into a test failure; CI sets it so container tests can never be
	// skipped silently.
	EnvRequireDocker = "SESSIONSTORE_REQUIRE_DOCKER"
)

// DefaultImage is the official memcached image used when EnvImage is unset.
const DefaultImage = "memcached:1.6"

// ErrNoDocker reports that no Docker engine could be reached. Start turns it into a skip
// (or a failure when EnvRequireDocker is set); callers of Run decide themselves.
var ErrNoDocker = errors.New("memcachedtest: no Docker engine reachable")

// ErrNoImage reports that the memcached image is not present locally and could not be
// pulled (typically: no registry reachable). Start turns it into a skip like ErrNoDocker.
var ErrNoImage = errors.New("memcachedtest: memcached image not available")

const (
	containerPort  = "11211/tcp"
	loopback       = "127.0.0.1"
	pingTimeout    = 10 * time.Second
	pullTimeout    = 5 * time.Minute
	readyTimeout   = 60 * time.Second
	stopTimeout    = 10 * time.Second
	cleanupTimeout = 30 * time.Second
	runAttempts    = 3
)

// Server is a running memcached container reachable on a loopback port of this machine.
// The host port is fixed for the container's whole life, so a Storage built on Addr keeps
// working after Stop and Start (fault tests rely on that).
type Server struct {
	// Addr is "127.0.0.1:<port>".
	Addr string
	// Host is always "127.0.0.1": the port is published on loopback only.
	Host string
	// Port is the host port the container's 11211 is published on.
	Port int

	mu  sync.Mutex // serialises Stop/Start/Terminate on the container
	ctr *testcontainers.DockerContainer
}

// Option configures Start and Run.
type Option func(*options)

type options struct {
	args []string
}

// WithArgs adds memcached command-line flags, e.g. WithArgs("-I", "2m") for a 2 MiB item
// size limit. Flags work with both the official image (its entrypoint prepends
// "memcached" to arguments starting with "-") and the local image (ENTRYPOINT memcached).
func WithArgs(args ...string) Option {
	return func(o *options) { o.args = append(o.args, args...) }
}

// Start starts a memcached container for the test, waits until it answers the memcached
// "version" command, and terminates it when the test and its subtests finish (t.Cleanup).
// Without a reachable Docker engine, or when the image is neither present nor pullable, the
// test is skipped with a message saying so, or fails when EnvRequireDocker=1. Any other
// problem (a container that does not start or answer) fails the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pullTimeout+readyTimeout)
	defer cancel()
	srv, err := run(ctx, tclog.TestLogger(t), opts...)
	if errors.Is(err, ErrNoDocker) || errors.Is(err, ErrNoImage) {
		if requireDocker() {
			t.Fatalf("%v; %s=1 requires the container tests to run", err, EnvRequireDocker)
		}
		hint := "" // ErrNoImage says how to build a local image
		if errors.Is(err, ErrNoDocker) {
			hint = "start Docker, see DEVELOPERS.md; "
		}
		t.Skipf("%v; skipping the memcached container test (%sset %s=1 to fail instead)", err, hint, EnvRequireDocker)
	}
	if err != nil {
		t.Fatalf("memcachedtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := srv.Terminate(ctx); err != nil {
			t.Errorf("memcachedtest: %v", err)
		}
	})
	return srv
}

// Run starts a memcached container like Start but without a testing.TB, for a TestMain
// that shares one server between tests; the caller must Terminate it. It returns an error
// matching ErrNoDocker when no Docker engine is reachable, and ErrNoImage when the image is
// neither present nor pullable; a TestMain skips the container tests on either.
func Run(ctx context.Context, opts ...Option) (*Server, error) {
	return run(ctx, tclog.Default(), opts...)
}

func run(ctx context.Context, logger tclog.Logger, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	prepareEnv()

	cli, err := connectDocker(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()

	image := Image()
	if err := ensureImage(ctx, cli, image); err != nil {
		return nil, err
	}

	// A port can be taken by someone else between choosing and binding it: retry a few times.
	var lastErr error
	for range runAttempts {
		port, err := pickPort()
		if err != nil {
			return nil, err
		}
		ctr, err := startContainer(ctx, logger, image, port, o.args)
		if err == nil {
			return &Server{
				Addr: net.JoinHostPort(loopback, strconv.Itoa(port)),
				Host: loopback,
				Port: port,
				ctr:  ctr,
			}, nil
		}
		lastErr = err
		if !isPortConflict(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// Image returns the image Start runs: EnvImage when set, else DefaultImage.
func Image() string {
	if img := strings.TrimSpace(os.Getenv(EnvImage)); img != "" {
		return img
	}
	return DefaultImage
}

func requireDocker() bool {
	v := strings.TrimSpace(os.Getenv(EnvRequireDocker))
	return v == "1" || strings.EqualFold(v, "true")
}

var envOnce sync.Once

// prepareEnv adjusts testcontainers' environment once, before testcontainers reads it
// (its configuration is read once per process and cached).
//
//   - TESTCONTAINERS_HOST_OVERRIDE: testcontainers-go decides "am I in a container?" from
//     /.dockerenv and then reaches published ports through the default gateway. When the
//     Docker daemon runs on this very machine (a docker0 interface exists and DOCKER_HOST
//     does not point elsewhere) ports are published on loopback, so traffic must go to
//     127.0.0.1. A value the user set is kept.
//   - TESTCONTAINERS_RYUK_DISABLED: the reaper needs an image pulled from a registry, and this
//     package terminates its containers itself, so the reaper is switched off unless the user
//     chose (environment variable or ryuk.disabled in ~/.testcontainers.properties).
func prepareEnv() {
	envOnce.Do(func() {
		if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !set && localDaemon() {
			_ = os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", loopback)
		}
		if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set && !ryukChosenInProperties() {
			_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		}
	})
}

func localDaemon() bool {
	if _, err := net.InterfaceByName("docker0"); err != nil {
		return false
	}
	host := os.Getenv("DOCKER_HOST")
	return host == "" || strings.HasPrefix(host, "unix://")
}

func ryukChosenInProperties() bool {
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	data, err := os.ReadFile(filepath.Join(home, ".testcontainers.properties"))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(strings.TrimSpace(line), "ryuk.disabled") {
			return true
		}
	}
	return false
}

// connectDocker is dockerClient; tests replace it to simulate a missing engine (testcontainers
// falls back to the default socket whatever DOCKER_HOST says, so that cannot be faked).
var connectDocker = dockerClient

// dockerClient connects to the engine testcontainers would use and checks it answers.
// Connection problems (and a panic inside the client's setup, which testcontainers' own
// health check also guards against) become ErrNoDocker.
func dockerClient(ctx context.Context) (cli *testcontainers.DockerClient, err error) {
	defer func() {
		if r := recover(); r != nil {
			cli, err = nil, fmt.Errorf("%w: %v", ErrNoDocker, r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	cli, err = testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	return cli, nil
}

// failedPulls remembers, per image, the ErrNoImage error of a pull that failed, so that a
// test binary starting many servers without registry access tries to pull only once.
var failedPulls sync.Map // image name → error

// ensureImage pulls the image once, with a bounded time, when it is not present locally.
// testcontainers would otherwise retry a failing pull with backoff for many minutes.
func ensureImage(ctx context.Context, cli *testcontainers.DockerClient, image string) error {
	if _, err := cli.ImageInspect(ctx, image); err == nil {
		return nil
	}
	if err, ok := failedPulls.Load(image); ok {
		return err.(error)
	}
	pullCtx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	err := func() error {
		resp, err := cli.ImagePull(pullCtx, image, client.ImagePullOptions{})
		if err != nil {
			return err
		}
		defer resp.Close()
		return resp.Wait(pullCtx)
	}()
	if err == nil {
		_, err = cli.ImageInspect(ctx, image)
	}
	if err != nil {
		if ctx.Err() != nil { // the caller gave up: say so, and let a later call try again
			return fmt.Errorf("pull image %q: %w", image, ctx.Err())
		}
		err = fmt.Errorf("%w: %q is not present and could not be pulled (%v); without registry access build a local one with scripts/build-memcached-image.sh and set %s to its tag", ErrNoImage, image, err, EnvImage)
		failedPulls.Store(image, err)
		return err
	}
	return nil
}

// pickPort is freePort; a test replaces it to force a port conflict.
var pickPort = freePort

// freePort asks the kernel for a free loopback port. The container publishes 11211 on it
// for its whole life, so Stop/Start keep the address.
func freePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
	if err != nil {
		return 0, fmt.Errorf("choose a free loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("choose a free loopback port: %w", err)
	}
	return port, nil
}

func isPortConflict(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "address already in use") || strings.Contains(msg, "port is already allocated")
}

func startContainer(ctx context.Context, logger tclog.Logger, image string, port int, args []string) (*testcontainers.DockerContainer, error) {
	binding := network.PortBinding{HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), HostPort: strconv.Itoa(port)}
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(logger),
		testcontainers.WithExposedPorts(containerPort),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{network.MustParsePort(containerPort): {binding}}
		}),
		testcontainers.WithLabels(map[string]string{"org.sessionstore.memcachedtest": "1"}),
		testcontainers.WithWaitStrategyAndDeadline(readyTimeout, versionProbe{addr: binding}),
	}
	if len(args) > 0 {
		opts = append(opts, testcontainers.WithCmd(args...))
	}
	ctr, err := testcontainers.Run(ctx, image, opts...)
	if err != nil {
		// Run may return a created container together with the error: remove it.
		if ctr != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			_ = ctr.Terminate(cctx)
		}
		return nil, fmt.Errorf("start %s on %s:%d: %w", image, loopback, port, err)
	}
	return ctr, nil
}

// versionProbe waits until memcached answers "version" on the published loopback port. A
// plain port check is not enough: docker-proxy accepts connections before the server listens.
// It gives up early when the container has exited (e.g. a bad memcached flag).
type versionProbe struct {
	addr network.PortBinding
}

func (p versionProbe) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	addr := net.JoinHostPort(p.addr.HostIP.String(), p.addr.HostPort)
	var lastErr error
	for {
		if lastErr = probe(ctx, addr); lastErr == nil {
			return nil
		}
		if state, err := target.State(ctx); err == nil && !state.Running && state.Status != container.StateCreated {
			return fmt.Errorf("memcached container is %s (exit code %d) before answering", state.Status, state.ExitCode)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("memcached not ready on %s: %w (last error: %v)", addr, ctx.Err(), lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// probe sends one "version" command and expects a "VERSION …" line.
func probe(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("version\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "VERSION ") {
		return fmt.Errorf("unexpected answer to version: %q", strings.TrimSpace(line))
	}
	return nil
}

// Stop stops the memcached container (its data is lost) but keeps it and its host port,
// so Start can bring the same address back. Clients see connection errors meanwhile.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctr == nil {
		return errors.New("memcachedtest: server terminated")
	}
	timeout := stopTimeout
	if err := s.ctr.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("memcachedtest: stop: %w", err)
	}
	return nil
}

// Start starts a stopped server again on the same host port and waits until it answers.
// The restarted memcached is empty.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctr == nil {
		return errors.New("memcachedtest: server terminated")
	}
	if err := s.ctr.Start(ctx); err != nil {
		return fmt.Errorf("memcachedtest: start: %w", err)
	}
	return nil
}

// Terminate stops and removes the container. Start's cleanup calls it; after Run the
// caller must. Terminating twice is a no-op.
func (s *Server) Terminate(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctr == nil {
		return nil
	}
	err := s.ctr.Terminate(ctx)
	s.ctr = nil
	if err != nil {
		return fmt.Errorf("memcachedtest: terminate: %w", err)
	}
	return nil
}
