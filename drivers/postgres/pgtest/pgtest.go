package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// Environment variables read by this package.
const (
	// EnvImage names the PostgreSQL image to run instead of DefaultImage, for
	// example a local one built by scripts/build-postgres-image.sh when no
	// registry is reachable.
	EnvImage = "SESSIONSTORE_POSTGRES_IMAGE"
	// EnvRequireDocker set to "1" (or "true") turns the skip without a Docker
	// engine or without the image into a test failure; CI sets it.
	EnvRequireDocker = containertest.EnvRequireDocker
)

// DefaultImage is the official PostgreSQL image used when EnvImage is unset.
const DefaultImage = "postgres:15"

// The user and database the server is reached with: the official image's
// superuser and database, trusted without a password (both images).
const (
	User     = "postgres"
	Database = "postgres"
)

// ErrNoDocker reports that no Docker engine could be reached; ErrNoImage
// that the image is neither present nor pullable. Start turns both into a
// skip (a failure with EnvRequireDocker=1); callers of Run decide. They are
// the container core's errors, shared by every driver's test helper.
var (
	ErrNoDocker = containertest.ErrNoDocker
	ErrNoImage  = containertest.ErrNoImage
)

// errNotStarted reports a Server value that Start or Run did not make.
var errNotStarted = errors.New("server not started by pgtest")

const containerPort = "5432/tcp"

var image = containertest.Image{Env: EnvImage, Default: DefaultImage, BuildScript: "scripts/build-postgres-image.sh"}

// Image returns the image Start runs: EnvImage when set, else DefaultImage.
func Image() string { return image.Resolve() }

// Server is a running PostgreSQL container reachable on a loopback port of
// this machine. The port stays the container's for its whole life, so a
// Storage built on ConnString keeps working after Stop and Start; the data
// survive a restart.
type Server struct {
	// ConnString is "postgres://postgres@127.0.0.1:<port>/postgres?sslmode=disable".
	ConnString string
	// Host is always "127.0.0.1": the port is published on loopback only.
	Host string
	// Port is the host port the container's 5432 is published on.
	Port int

	ctr   *containertest.Container
	admin *pgxpool.Pool // for the schemas of NewStorage; closed by Terminate
}

// Option configures Start and Run.
type Option func(*options)

type options struct {
	settings map[string]string
}

// WithSetting sets a server parameter at start (postgres -c name=value),
// e.g. WithSetting("max_connections", "300").
func WithSetting(name, value string) Option {
	return func(o *options) {
		if o.settings == nil {
			o.settings = map[string]string{}
		}
		o.settings[name] = value
	}
}

// Start starts a PostgreSQL container for the test, waits until it answers
// SELECT 1, and removes it when the test and its subtests finish. Without a
// reachable Docker engine, or when the image is neither present nor
// pullable, the test is skipped with a message saying so, or fails when
// EnvRequireDocker=1. Any other problem fails the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := newServer(containertest.Start(t, spec(opts)))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.closeAdmin) // runs before the container's own cleanup
	return s
}

// Run starts a container like Start but without a testing.TB, for a
// TestMain that shares one server between tests; the caller must
// Terminate it. Its error matches ErrNoDocker or ErrNoImage when containers
// cannot run here (a test then calls SkipOrFail).
func Run(ctx context.Context, opts ...Option) (*Server, error) {
	c, err := containertest.Run(ctx, spec(opts))
	if err != nil {
		return nil, err
	}
	s, err := newServer(c)
	if err != nil {
		_ = c.Terminate(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// SkipOrFail ends t because err, from Run, says that containers cannot run
// here: a skip naming what is missing, or a failure with EnvRequireDocker=1.
// Any other error fails t.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if containertest.Unavailable(err) {
		containertest.SkipOrFail(t, spec(nil), err)
	}
	t.Fatalf("pgtest: %v", err)
}

func spec(opts []Option) containertest.Spec {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	cmd := []string{"postgres"}
	// Test data need not survive a machine crash (the local image sets
	// these already; the official one does not).
	settings := map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
	for k, v := range o.settings {
		settings[k] = v
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		cmd = append(cmd, "-c", k+"="+settings[k])
	}
	return containertest.Spec{
		Name:  "pgtest",
		Image: image,
		Ports: []string{containerPort},
		Cmd:   cmd,
		// The official image refuses to start without a password or this;
		// the local image ignores it (it trusts every client already).
		Env:   map[string]string{"POSTGRES_HOST_AUTH_METHOD": "trust"},
		Probe: containertest.PostgresProbe(User, Database),
	}
}

func newServer(c *containertest.Container) (*Server, error) {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(User),
		Host:     net.JoinHostPort(containertest.Host, strconv.Itoa(c.Port())),
		Path:     "/" + Database,
		RawQuery: "sslmode=disable",
	}
	s := &Server{ConnString: u.String(), Host: containertest.Host, Port: c.Port(), ctr: c}
	cfg, err := pgxpool.ParseConfig(s.ConnString)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 4
	if s.admin, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) closeAdmin() {
	if s.admin != nil {
		s.admin.Close()
	}
}

// Stop stops the server (a fast shutdown: clients are disconnected) but
// keeps the container, its data and its host port, so Start can bring the
// same address back. Clients see connection errors meanwhile.
func (s *Server) Stop(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("pgtest: stop: %w", errNotStarted)
	}
	if err := s.ctr.Stop(ctx); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// Start starts a stopped server again on the same host port, with its
// data, and waits until it answers.
func (s *Server) Start(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("pgtest: start: %w", errNotStarted)
	}
	if err := s.ctr.Start(ctx); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// Terminate stops and removes the container. Start's cleanup calls it;
// after Run the caller must. Terminating twice is a no-op.
func (s *Server) Terminate(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("pgtest: terminate: %w", errNotStarted)
	}
	s.closeAdmin()
	if err := s.ctr.Terminate(ctx); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}
