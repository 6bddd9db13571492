package mysqltest

import (
	"context"
	"database/sql"
	"net"
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

	db *containertest.Database // the container and the admin pool (databases of NewStorage)
}

// Option configures Start and Run.
type Option func(*options)

type options = containertest.Settings

// WithSetting sets a server variable at start (mariadbd --name=value),
// e.g. WithSetting("max_connections", "300").
func WithSetting(name, value string) Option {
	return func(o *options) { o.Set(name, value) }
}

// kind is MariaDB for the container core.
var kind = &containertest.Kind{Name: "mysqltest", Spec: spec, Admin: openAdmin}

// Start starts a MariaDB container for the test, waits until it accepts a
// login, and removes it when the test and its subtests finish. Without a
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
	// Test data need not survive a machine crash.
	defaults := map[string]string{"innodb_flush_log_at_trx_commit": "0", "innodb_doublewrite": "0", "skip_name_resolve": "1"}
	cmd := append([]string{"mariadbd"}, containertest.SettingArgs(defaults, settings, func(k, v string) []string {
		return []string{"--" + k + "=" + v}
	})...)
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

// rootConfig is go-sql-driver's configuration for root on host port port.
func rootConfig(port int) *gomysql.Config {
	cfg := gomysql.NewConfig()
	cfg.User = User
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(containertest.Host, strconv.Itoa(port))
	return cfg
}

func newServer(db *containertest.Database) *Server {
	return &Server{DSN: rootConfig(db.Port()).FormatDSN(), Host: containertest.Host, Port: db.Port(), db: db}
}

// admin is the admin pool: database/sql behind containertest.Admin.
type admin struct{ db *sql.DB }

func openAdmin(c *containertest.Container) (containertest.Admin, error) {
	cfg := rootConfig(c.Port())
	cfg.MultiStatements = true
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(4)
	return admin{db}, nil
}

func (a admin) Exec(ctx context.Context, stmt string) error {
	_, err := a.db.ExecContext(ctx, stmt)
	return err
}

func (a admin) Close() { _ = a.db.Close() }

// Stop stops the server (clients are disconnected) but keeps the
// container, its data and its host port, so Start can bring the same
// address back. Clients see connection errors meanwhile.
func (s *Server) Stop(ctx context.Context) error { return kind.Stop(ctx, s.db) }

// Start starts a stopped server again on the same host port, with its
// data, and waits until it accepts a login.
func (s *Server) Start(ctx context.Context) error { return kind.StartAgain(ctx, s.db) }

// Terminate stops and removes the container. Start's cleanup calls it;
// after Run the caller must. Terminating twice is a no-op.
func (s *Server) Terminate(ctx context.Context) error { return kind.Terminate(ctx, s.db) }
