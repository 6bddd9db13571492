package pgtest

import (
	"context"
	"net"
	"net/url"
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

	db *containertest.Database // the container and the admin pool (schemas of NewStorage)
}

// Option configures Start and Run.
type Option func(*options)

type options = containertest.Settings

// WithSetting sets a server parameter at start (postgres -c name=value),
// e.g. WithSetting("max_connections", "300").
func WithSetting(name, value string) Option {
	return func(o *options) { o.Set(name, value) }
}

// kind is PostgreSQL for the container core.
var kind = &containertest.Kind{Name: "pgtest", Spec: spec, Admin: openAdmin}

// Start starts a PostgreSQL container for the test, waits until it answers
// SELECT 1, and removes it when the test and its subtests finish. Without a
// reachable Docker engine, or when the image is neither present nor
// pullable, the test is skipped with a message saying so, or fails when
// EnvRequireDocker=1. Any other problem fails the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return newServer(kind.Start(t, containertest.Collect(opts)))
}

// Run starts a container like Start but without a testing.TB, for a
// TestMain that shares one server between tests; the caller must
// Terminate it. Its error matches ErrNoDocker or ErrNoImage when containers
// cannot run here (a test then calls SkipOrFail).
func Run(ctx context.Context, opts ...Option) (*Server, error) {
	db, err := kind.Run(ctx, containertest.Collect(opts))
	if err != nil {
		return nil, err
	}
	return newServer(db), nil
}

// SkipOrFail ends t because err, from Run, says that containers cannot run
// here: a skip naming what is missing, or a failure with EnvRequireDocker=1.
// Any other error fails t.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	kind.SkipOrFail(t, err)
}

func spec(settings map[string]string) containertest.Spec {
	// Test data need not survive a machine crash (the local image sets
	// these already; the official one does not).
	defaults := map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
	cmd := append([]string{"postgres"}, containertest.SettingArgs(defaults, settings, func(k, v string) []string {
		return []string{"-c", k + "=" + v}
	})...)
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

// connString is the server's connection string on host port port.
func connString(port int) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(User),
		Host:     net.JoinHostPort(containertest.Host, strconv.Itoa(port)),
		Path:     "/" + Database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func newServer(db *containertest.Database) *Server {
	return &Server{ConnString: connString(db.Port()), Host: containertest.Host, Port: db.Port(), db: db}
}

// admin is the admin pool: pgxpool behind containertest.Admin.
type admin struct{ pool *pgxpool.Pool }

func openAdmin(c *containertest.Container) (containertest.Admin, error) {
	cfg, err := pgxpool.ParseConfig(connString(c.Port()))
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	return admin{pool}, nil
}

func (a admin) Exec(ctx context.Context, stmt string) error {
	_, err := a.pool.Exec(ctx, stmt)
	return err
}

func (a admin) Close() { a.pool.Close() }

// Stop stops the server (a fast shutdown: clients are disconnected) but
// keeps the container, its data and its host port, so Start can bring the
// same address back. Clients see connection errors meanwhile.
func (s *Server) Stop(ctx context.Context) error { return kind.Stop(ctx, s.db) }

// Start starts a stopped server again on the same host port, with its
// data, and waits until it answers.
func (s *Server) Start(ctx context.Context) error { return kind.StartAgain(ctx, s.db) }

// Terminate stops and removes the container. Start's cleanup calls it;
// after Run the caller must. Terminating twice is a no-op.
func (s *Server) Terminate(ctx context.Context) error { return kind.Terminate(ctx, s.db) }
