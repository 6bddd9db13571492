package memcachedtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// Environment variables read by this package.
const (
	// EnvImage names the memcached image to run instead of DefaultImage, for example a local
	// one built by scripts/build-memcached-image.sh when no registry is reachable.
	EnvImage = "SESSIONSTORE_MEMCACHED_IMAGE"
	// EnvRequireDocker set to "1" (or "true") turns the skip without a Docker engine or
	// without the image into a test failure; CI sets it so container tests can never be
	// skipped silently.
	EnvRequireDocker = containertest.EnvRequireDocker
)

// DefaultImage is the official memcached image used when EnvImage is unset.
const DefaultImage = "memcached:1.6"

// ErrNoDocker reports that no Docker engine could be reached. Start turns it into a skip
// (or a failure when EnvRequireDocker is set); callers of Run decide themselves. It is the
// container core's error, shared by every driver's test helper.
var ErrNoDocker = containertest.ErrNoDocker

// ErrNoImage reports that the memcached image is not present locally and could not be
// pulled (typically: no registry reachable). Start turns it into a skip like ErrNoDocker.
var ErrNoImage = containertest.ErrNoImage

// errNotStarted reports a Server value that Start or Run did not make.
var errNotStarted = errors.New("server not started by memcachedtest")

// containerPort is where memcached listens inside the container (both images).
const containerPort = "11211/tcp"

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

	ctr *containertest.Container
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
	return newServer(containertest.Start(t, spec(opts)))
}

// Run starts a memcached container like Start but without a testing.TB, for a TestMain
// that shares one server between tests; the caller must Terminate it. It returns an error
// matching ErrNoDocker when no Docker engine is reachable, and ErrNoImage when the image is
// neither present nor pullable; a TestMain skips the container tests on either.
func Run(ctx context.Context, opts ...Option) (*Server, error) {
	c, err := containertest.Run(ctx, spec(opts))
	if err != nil {
		return nil, err
	}
	return newServer(c), nil
}

// Image returns the image Start runs: EnvImage when set, else DefaultImage.
func Image() string {
	return image.Resolve()
}

// image is the memcached image as the container core knows it.
var image = containertest.Image{Env: EnvImage, Default: DefaultImage, BuildScript: "scripts/build-memcached-image.sh"}

// probe sends one "version" command and expects a "VERSION …" line. A plain port check is
// not enough: docker-proxy accepts connections before the server listens.
var probe = containertest.RequestProbe("version\r\n", "VERSION ")

func spec(opts []Option) containertest.Spec {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return containertest.Spec{
		Name:  "memcachedtest", // label org.sessionstore.memcachedtest=1, as before the core
		Image: image,
		Ports: []string{containerPort},
		Cmd:   o.args,
		Probe: probe,
	}
}

func newServer(c *containertest.Container) *Server {
	return &Server{
		Addr: net.JoinHostPort(containertest.Host, strconv.Itoa(c.Port())),
		Host: containertest.Host,
		Port: c.Port(),
		ctr:  c,
	}
}

// Stop stops the memcached container (its data is lost) but keeps it and its host port,
// so Start can bring the same address back. Clients see connection errors meanwhile.
func (s *Server) Stop(ctx context.Context) error {
	if s.ctr == nil { // a Server not made by Start or Run
		return fmt.Errorf("memcachedtest: stop: %w", errNotStarted)
	}
	if err := s.ctr.Stop(ctx); err != nil {
		return fmt.Errorf("memcachedtest: %w", err)
	}
	return nil
}

// Start starts a stopped server again on the same host port and waits until it answers.
// The restarted memcached is empty.
func (s *Server) Start(ctx context.Context) error {
	if s.ctr == nil { // a Server not made by Start or Run
		return fmt.Errorf("memcachedtest: start: %w", errNotStarted)
	}
	if err := s.ctr.Start(ctx); err != nil {
		return fmt.Errorf("memcachedtest: %w", err)
	}
	return nil
}

// Terminate stops and removes the container. Start's cleanup calls it; after Run the
// caller must. Terminating twice is a no-op.
func (s *Server) Terminate(ctx context.Context) error {
	if s.ctr == nil { // a Server not made by Start or Run
		return fmt.Errorf("memcachedtest: terminate: %w", errNotStarted)
	}
	if err := s.ctr.Terminate(ctx); err != nil {
		return fmt.Errorf("memcachedtest: %w", err)
	}
	return nil
}
