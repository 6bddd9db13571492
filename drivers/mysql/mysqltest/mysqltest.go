package mysqltest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// Environment variables read by this package.
const (
	// EnvImage names the MariaDB image to run instead of DefaultImage, for
	// example a local one built by scripts/build-mariadb-image.sh when no
	// registry is reachable.
	EnvImage = "SESSIONSTORE_MARIADB_IMAGE"
	// EnvRequireDocker set to "1" (or "true") turns the skip without a Docker
	// engine or without the image into a test failure; CI sets it.
	EnvRequireDocker = containertest.EnvRequireDocker
)

// DefaultImage is the official MariaDB image used when EnvImage is unset.
const DefaultImage = "mariadb:10.11"

// The accounts both images have: root without a password (every
// privilege; what Server.DSN and NewStorage use), and test/test with all
// privileges on database test.
const (
	User         = "root"
	TestUser     = "test"
	TestPassword = "test"
	TestDatabase = "test"
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
var errNotStarted = errors.New("server not started by mysqltest")

const containerPort = "3306/tcp"

var image = containertest.Image{Env: EnvImage, Default: DefaultImage, BuildScript: "scripts/build-mariadb-image.sh"}

// Image returns the image Start runs: EnvImage when set, else DefaultImage.
func Image() string { return image.Resolve() }

// Server is a running MariaDB container reachable on a loopback port of
// this machine. The port stays the container's for its whole life, so a
// Storage built on DSN keeps working after Stop and Start; the data
// survive a restart.
type Server struct {
	// DSN is go-sql-driver's data source name for root on the server,
	// without a default database: "root@tcp(127.0.0.1:<port>)/".
	DSN string
	// Host is always "127.0.0.1": the port is published on loopback only.
	Host string
	// Port is the host port the container's 3306 is published on.
	Port int

	ctr   *containertest.Container
	admin *sql.DB // for the databases of NewStorage; closed by Terminate
}

// Option configures Start and Run.
type Option func(*options)

type options struct {
	settings map[string]string
}

// WithSetting sets a server variable at start (mariadbd --name=value),
// e.g. WithSetting("max_connections", "300").
func WithSetting(name, value string) Option {
	return func(o *options) {
		if o.settings == nil {
			o.settings = map[string]string{}
		}
		o.settings[name] = value
	}
}

// Start starts a MariaDB container for the test, waits until it accepts a
// login, and removes it when the test and its subtests finish. Without a
// reachable Docker engine, or when the image is neither present nor
// pullable, the test is skipped with a message saying so, or fails when
// EnvRequireDocker=1. Any other problem fails the test.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := newServer(containertest.Start(t, spec(opts)))
	if err != nil {
		t.Fatalf("mysqltest: %v", err)
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
	t.Fatalf("mysqltest: %v", err)
}

func spec(opts []Option) containertest.Spec {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	// Test data need not survive a machine crash.
	settings := map[string]string{"innodb_flush_log_at_trx_commit": "0", "innodb_doublewrite": "0", "skip_name_resolve": "1"}
	for k, v := range o.settings {
		settings[k] = v
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	cmd := []string{"mariadbd"}
	for _, k := range names {
		cmd = append(cmd, "--"+k+"="+settings[k])
	}
	return containertest.Spec{
		Name:  "mysqltest",
		Image: image,
		Ports: []string{containerPort},
		Cmd:   cmd,
		// The official image's entrypoint creates these accounts on its
		// first start; the local image has them baked in and ignores the
		// variables.
		Env: map[string]string{
			"MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": "1",
			"MARIADB_DATABASE":                  TestDatabase,
			"MARIADB_USER":                      TestUser,
			"MARIADB_PASSWORD":                  TestPassword,
		},
		// A login, not the first packet: the official image's entrypoint
		// runs a server without networking while it initialises, and the
		// local image logs "Debian", not the official "mariadb.org binary
		// distribution".
		Probe:        containertest.MySQLProbe(User, "", ""),
		ReadyTimeout: 2 * time.Minute,
	}
}

func newServer(c *containertest.Container) (*Server, error) {
	cfg := gomysql.NewConfig()
	cfg.User = User
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(containertest.Host, strconv.Itoa(c.Port()))
	s := &Server{DSN: cfg.FormatDSN(), Host: containertest.Host, Port: c.Port(), ctr: c}
	cfg.MultiStatements = true
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	s.admin = sql.OpenDB(connector)
	s.admin.SetMaxOpenConns(4)
	return s, nil
}

func (s *Server) closeAdmin() {
	if s.admin != nil {
		_ = s.admin.Close()
	}
}

// Stop stops the server (clients are disconnected) but keeps the
// container, its data and its host port, so Start can bring the same
// address back. Clients see connection errors meanwhile.
func (s *Server) Stop(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("mysqltest: stop: %w", errNotStarted)
	}
	if err := s.ctr.Stop(ctx); err != nil {
		return fmt.Errorf("mysqltest: %w", err)
	}
	return nil
}

// Start starts a stopped server again on the same host port, with its
// data, and waits until it accepts a login.
func (s *Server) Start(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("mysqltest: start: %w", errNotStarted)
	}
	if err := s.ctr.Start(ctx); err != nil {
		return fmt.Errorf("mysqltest: %w", err)
	}
	return nil
}

// Terminate stops and removes the container. Start's cleanup calls it;
// after Run the caller must. Terminating twice is a no-op.
func (s *Server) Terminate(ctx context.Context) error {
	if s.ctr == nil {
		return fmt.Errorf("mysqltest: terminate: %w", errNotStarted)
	}
	s.closeAdmin()
	if err := s.ctr.Terminate(ctx); err != nil {
		return fmt.Errorf("mysqltest: %w", err)
	}
	return nil
}
