package redistest

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// Environment variables read by this package.
const (
	// EnvImage names the Redis image to run instead of DefaultImage, for example a local
	// one built by scripts/build-redis-image.sh when no registry is reachable.
	EnvImage = "SESSIONSTORE_REDIS_IMAGE"
	// EnvRequireDocker set to "1" (or "true") turns the skip without a Docker engine or
	// without the image into a test failure; CI sets it so container tests can never be
	// skipped silently.
	EnvRequireDocker = containertest.EnvRequireDocker
)

// DefaultImage is the official Redis image used when EnvImage is unset.
const DefaultImage = "redis:7.0"

var (
	// ErrNoDocker reports that no Docker engine could be reached (the container core's
	// error, shared by every driver's test helper).
	ErrNoDocker = containertest.ErrNoDocker
	// ErrNoImage reports that the Redis image is neither present nor pullable.
	ErrNoImage = containertest.ErrNoImage
)

// errNotStarted reports a Server value that this package did not make.
var errNotStarted = errors.New("redistest: server not started by redistest")

// image is the Redis image as the container core knows it.
var image = containertest.Image{Env: EnvImage, Default: DefaultImage, BuildScript: "scripts/build-redis-image.sh"}

// Image returns the image the helpers run: EnvImage when set, else DefaultImage.
func Image() string { return image.Resolve() }

// Unavailable reports whether err (from Run, RunCluster or RunSentinel) says that
// containers cannot run here, rather than that one went wrong.
func Unavailable(err error) bool { return containertest.Unavailable(err) }

// Server is one running Redis container. A server started by Start or Run is published
// on a loopback port; a node of a Cluster or Sentinel set-up runs in the host's network
// on a loopback port of its own. Either way the address is fixed for the container's
// life, so a client built on Addr keeps working after Stop and Start.
type Server struct {
	// Addr is "127.0.0.1:<port>" (the TLS port with WithTLS).
	Addr string
	// Host is always "127.0.0.1".
	Host string
	// Port is the port of Addr.
	Port int
	// Socket is the unix socket's path on this machine, with WithUnixSocket; else "".
	Socket string
	// TLS describes the server's certificate, with WithTLS; else nil.
	TLS *TLS

	ctr *containertest.Container
}

// Option configures Start and Run.
type Option func(*options)

type options struct {
	args       []string
	tls        bool
	socketDir  string
	tlsDir     string
	tlsNames   []string
	password   string
	persistent bool
}

// WithArgs adds redis-server flags, e.g. WithArgs("--maxmemory", "10mb").
func WithArgs(args ...string) Option {
	return func(o *options) { o.args = append(o.args, args...) }
}

// WithPassword sets requirepass: clients must authenticate (as the default user).
func WithPassword(password string) Option {
	return func(o *options) { o.password = password }
}

// WithUnixSocket makes the server listen on a unix socket too, in dir (a directory of
// this machine, bind-mounted into the container; it must be writable by the container's
// user, e.g. mode 0777). Server.Socket is the socket's path.
func WithUnixSocket(dir string) Option {
	return func(o *options) { o.socketDir = dir }
}

// WithTLS makes the server speak TLS only, with a certificate for names issued by a fresh
// test CA (NewTLS writes them into dir). Server.TLS holds what a client needs to verify it.
func WithTLS(dir string, names ...string) Option {
	return func(o *options) { o.tls, o.tlsDir, o.tlsNames = true, dir, names }
}

func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// serverArgs are the flags every server gets: no persistence (a test server starts
// empty), no delay before a replica's first sync.
func serverArgs(o options) []string {
	args := []string{"--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"}
	if o.password != "" {
		args = append(args, "--requirepass", o.password)
	}
	return append(args, o.args...)
}

// Start starts a Redis container for the test, published on a free loopback port, waits
// until it answers PING, and terminates it when the test ends. Without a reachable Docker
// engine, or when the image is neither present nor pullable, the test is skipped (fails
// with SESSIONSTORE_REQUIRE_DOCKER=1).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	spec, srv, err := singleSpec(buildOptions(opts))
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	srv.attach(containertest.Start(t, spec))
	return srv
}

// Run starts a server like Start but without a testing.TB, for a TestMain that shares one
// server between tests; the caller must Terminate it. Its error matches ErrNoDocker or
// ErrNoImage when containers cannot run here (see Unavailable).
func Run(ctx context.Context, opts ...Option) (*Server, error) {
	spec, srv, err := singleSpec(buildOptions(opts))
	if err != nil {
		return nil, err
	}
	c, err := containertest.Run(ctx, spec)
	if err != nil {
		return nil, err
	}
	srv.attach(c)
	return srv, nil
}

func singleSpec(o options) (containertest.Spec, *Server, error) {
	srv := &Server{Host: containertest.Host}
	cmd := append([]string{"redis-server", "--protected-mode", "no"}, serverArgs(o)...)
	probe := pingProbe(o.password)
	spec := containertest.Spec{Name: "redistest", Image: image, Ports: []string{"6379/tcp"}, Probe: probe}
	if o.socketDir != "" {
		cmd = append(cmd, "--unixsocket", "/sock/redis.sock", "--unixsocketperm", "777")
		spec.Mounts = append(spec.Mounts, containertest.Mount{HostPath: o.socketDir, ContainerPath: "/sock"})
		srv.Socket = filepath.Join(o.socketDir, "redis.sock")
	}
	if o.tls {
		tlsFiles, err := NewTLS(o.tlsDir, o.tlsNames...)
		if err != nil {
			return spec, nil, err
		}
		srv.TLS = tlsFiles
		cmd = append(cmd, "--port", "0", "--tls-port", "6379",
			"--tls-cert-file", "/tls/server.crt", "--tls-key-file", "/tls/server.key",
			"--tls-ca-cert-file", "/tls/ca.crt", "--tls-auth-clients", "no")
		spec.Mounts = append(spec.Mounts, containertest.Mount{HostPath: o.tlsDir, ContainerPath: "/tls", ReadOnly: true})
		spec.Probe = tlsPingProbe(o.password)
	} else {
		cmd = append(cmd, "--port", "6379")
	}
	spec.Cmd = cmd
	return spec, srv, nil
}

func (s *Server) attach(c *containertest.Container) {
	s.ctr = c
	s.Port = c.Port()
	s.Addr = net.JoinHostPort(containertest.Host, strconv.Itoa(s.Port))
}

// Stop stops the server (its data is lost: nothing is persisted) but keeps the container
// and its address, so Start can bring it back. Clients see connection errors meanwhile.
func (s *Server) Stop(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("redistest: stop: %w", errNotStarted)
	}
	if err := s.ctr.Stop(ctx); err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	return nil
}

// Start starts a stopped server again on the same address and waits until it is ready.
// A Cluster node comes back with its cluster configuration (kept in the container); its
// data is gone.
func (s *Server) Start(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("redistest: start: %w", errNotStarted)
	}
	if err := s.ctr.Start(ctx); err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	return nil
}

// Terminate stops and removes the container. Start's cleanup calls it; after Run the
// caller must. Terminating twice is a no-op.
func (s *Server) Terminate(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("redistest: terminate: %w", errNotStarted)
	}
	if err := s.ctr.Terminate(ctx); err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	return nil
}

// CLI runs redis-cli inside the container against this server and returns its output,
// e.g. CLI(ctx, "CLUSTER", "NODES"). Errors reported by Redis come back as output, as
// redis-cli prints them.
func (s *Server) CLI(ctx context.Context, args ...string) (string, error) {
	if s.ctr == nil {
		return "", fmt.Errorf("redistest: cli: %w", errNotStarted)
	}
	port := "6379"
	if s.ctr.HostNetwork() {
		port = strconv.Itoa(s.Port)
	}
	cmd := []string{"redis-cli", "-h", containertest.Host, "-p", port}
	if s.TLS != nil {
		cmd = append(cmd, "--tls", "--cacert", "/tls/ca.crt")
	}
	out, err := s.ctr.Exec(ctx, append(cmd, args...)...)
	if err != nil {
		return out, fmt.Errorf("redistest: %w", err)
	}
	return strings.TrimSpace(out), nil
}

// Logs returns the server's output so far.
func (s *Server) Logs(ctx context.Context) (string, error) {
	if s.ctr == nil {
		return "", fmt.Errorf("redistest: logs: %w", errNotStarted)
	}
	return s.ctr.Logs(ctx)
}

// pingProbe is ready when PING (after AUTH, with a password) answers PONG. A plain
// connect proves nothing on a published port: docker-proxy accepts early.
func pingProbe(password string) containertest.ProbeFunc {
	if password == "" {
		return containertest.RequestProbe("PING\r\n", "+PONG")
	}
	return func(ctx context.Context, addr string) error {
		return ping(ctx, addr, password, nil)
	}
}

// tlsPingProbe is pingProbe over TLS, without verification: it only tells readiness.
func tlsPingProbe(password string) containertest.ProbeFunc {
	return func(ctx context.Context, addr string) error {
		return ping(ctx, addr, password, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness only
	}
}

// ping sends [AUTH password] PING in RESP over a fresh connection.
func ping(ctx context.Context, addr, password string, tlsConf *tls.Config) error {
	d := net.Dialer{Timeout: time.Second}
	var conn net.Conn
	var err error
	if tlsConf != nil {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConf}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Second)
	}
	_ = conn.SetDeadline(deadline)
	req := "PING\r\n"
	if password != "" {
		req = fmt.Sprintf("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password) + req
	}
	if _, err := conn.Write([]byte(req)); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	if password != "" {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("AUTH answered %q", strings.TrimSpace(line))
		}
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}
