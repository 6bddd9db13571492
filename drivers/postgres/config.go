package postgres

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// Mode chooses the tables a Storage uses: OwnTables (the default) or
// LuaTables. See the package documentation for what each keeps.
type Mode = sqlstore.Mode

// The table modes.
const (
	// OwnTables is this driver's schema, which keeps every rule of the
	// storage contract: sessions keyed by (name, sid), values in a BYTEA
	// column, the index keyed by (name, aud, sub, sid).
	OwnTables = sqlstore.OwnTables
	// LuaTables shares lua-resty-session's own tables with OpenResty
	// services (section 8 of the contract): sessions keyed by sid alone,
	// data TEXT, an index without cookie names.
	LuaTables = sqlstore.LuaTables
)

// Defaults of the Config fields. Host, Port, Username, Database and Table
// are lua-resty-session's (pgmoon's); the rest are Go defaults: Lua
// inherits nginx's 60 s socket timeouts, far too long for a request path.
const (
	DefaultHost           = "127.0.0.1"
	DefaultPort           = 5432
	DefaultUsername       = "postgres"
	DefaultDatabase       = "postgres"
	DefaultTable          = sqlstore.DefaultTable
	DefaultConnectTimeout = 5 * time.Second
	DefaultSendTimeout    = 5 * time.Second
	DefaultReadTimeout    = 5 * time.Second
	DefaultPoolSize       = 20
	DefaultSweepInterval  = sqlstore.DefaultSweepInterval
	DefaultSweepBatch     = sqlstore.DefaultSweepBatch
)

// Limits on what a Set writes into the tables' keys, in bytes: PostgreSQL's
// B-tree indexes refuse entries over about 2,700 bytes, and the index
// table's key holds name, audience, subject and key together. A longer
// argument is refused with an error matching session.ErrTooLarge, nothing
// written. Real values are far shorter (lua-resty-session's keys are 43
// characters).
const (
	MaxNameLength = 255
	MaxKeyLength  = 512
	// MaxPairLength bounds an audience or a subject before base64url
	// encoding (which makes 512 bytes of it).
	MaxPairLength = 384
)

// columnsOf says what the tables of mode hold: names and keys in TEXT
// columns, values in BYTEA (OwnTables) or TEXT (LuaTables), within the
// limits above.
func columnsOf(mode Mode) sqlstore.Columns {
	c := sqlstore.Columns{
		Name: sqlstore.Text, Key: sqlstore.Text, Value: sqlstore.Binary,
		MaxName: MaxNameLength, MaxKey: MaxKeyLength, MaxPair: MaxPairLength,
	}
	if mode.TextValues() {
		c.Value = sqlstore.Text
	}
	return c
}

// Config configures a Storage. Each field names the lua-resty-session
// option (postgres_*) it maps to; the zero value talks to postgres@127.0.0.1
// :5432, database postgres, in clear text, using this driver's own tables
// "sessions" and "sessions_meta".
//
// The connection is given one of three ways: the Lua fields (Host, Port,
// Username, …), a connection string (ConnString), or the application's own
// pool (Pool). Mixing them is a configuration error.
type Config struct {
	// Host is the server's host name, IP address or unix socket directory
	// (host). Default DefaultHost.
	Host string
	// Port is the server's port (port). Default DefaultPort.
	Port int
	// Application is the application_name shown in pg_stat_activity
	// (application).
	Application string
	// Username is the role to log in as (username). Default
	// DefaultUsername.
	Username string
	// Password is the role's password (password).
	Password string
	// Database is the database to connect to (database). Default
	// DefaultDatabase.
	Database string

	// ConnString is a libpq connection string or URL
	// ("postgres://user@host:5432/db?sslmode=verify-full"), parsed by pgx,
	// PG* environment variables included. Go addition; it replaces the
	// fields above and the SSL fields.
	ConnString string

	// Pool is the application's own pgx pool, used instead of one of the
	// Storage's own. Close leaves it open unless ClosePool is set. The
	// connection, pool and SSL fields must then be empty. Go addition.
	Pool *pgxpool.Pool
	// ClosePool makes Close close Pool too.
	ClosePool bool

	// Mode chooses the tables: OwnTables (default) or LuaTables.
	Mode Mode
	// Table is the sessions table (table), schema-qualified if wanted
	// ("app.sessions"); split at dots, each part quoted, so the name is
	// case-sensitive. Default DefaultTable.
	Table string
	// TableMeta is the index table (table_meta). Default Table + "_meta".
	TableMeta string

	// ConnectTimeout bounds making one connection, TLS included
	// (connect_timeout). Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// SendTimeout is how long sent data may stay unacknowledged by the
	// server before the connection is dropped (send_timeout; the socket's
	// TCP_USER_TIMEOUT, on Linux). Default DefaultSendTimeout.
	SendTimeout time.Duration
	// ReadTimeout is how long the server may take over a statement, lock
	// waits included (read_timeout): it becomes the connections'
	// statement_timeout, so the server cancels a longer one and the call
	// fails with ErrTimeout; TCP keepalive probes start after as long a
	// silence. pgx has no per-socket timeouts, and a timer per call would
	// cost a context watch on every statement. Default DefaultReadTimeout.
	//
	// SendTimeout and ReadTimeout apply to the Storage's own pool; with
	// Pool, the caller's contexts alone bound a call. Waiting for a pooled
	// connection is always bounded by the caller's context.
	ReadTimeout time.Duration
	// KeepaliveTimeout is how long a connection may sit idle in the pool
	// before it is closed (keepalive_timeout). Default pgxpool's (30 min).
	KeepaliveTimeout time.Duration
	// PoolSize is the most connections the Storage's pool opens
	// (pool_size). Callers beyond it wait for one, within their context.
	// Default DefaultPoolSize. Lua's pool (a named pool shared between
	// storages) and backlog have no field: share a pool by passing it as
	// Pool, and bound the wait with the caller's context.
	PoolSize int

	// SSL switches TLS on (ssl): tried first, plain as a fallback unless
	// SSLRequired.
	SSL bool
	// SSLRequired refuses a server without TLS (ssl_required). Requires
	// SSL.
	SSLRequired bool
	// SSLInsecureSkipVerify switches off certificate verification. Lua's
	// ssl_verify defaults to off; in Go verification is ON unless this is
	// set. Requires SSL.
	SSLInsecureSkipVerify bool
	// ServerName is the name the certificate is verified against (and
	// SNI). Default: Host. Go addition.
	ServerName string
	// RootCAs verifies the server certificate; nil means the system's.
	// Go addition.
	RootCAs *x509.CertPool
	// Certificates are client certificates. Go addition.
	Certificates []tls.Certificate

	// HashSubject stores subjects as base64url of the first 16 bytes of
	// their SHA-256 (hash_subject), so user ids never reach the tables.
	HashSubject bool
	// MaxValueSize is the largest value accepted, in bytes; 0 means no
	// limit but the server's (1 GB per field; a refused write changes
	// nothing, every Set being one transaction). Go addition.
	MaxValueSize int

	// Clock is the time Get decides liveness by and the sweeper decides
	// expiry by (Set, Delete and ReadMetadata use the now they are
	// passed, as lua-resty-session uses its now). Default time.Now. Tests
	// inject a driver.ManualClock's Now. Go addition.
	Clock func() time.Time
	// SweepInterval is how often expired sessions are deleted, in batches,
	// by a goroutine that Close stops. Default DefaultSweepInterval;
	// negative switches the sweeper off (for a deployment where one
	// process sweeps, or a cron job calls Sweep). Go addition: Lua
	// deletes every expired row with probability 1/1000 per write, on the
	// request path.
	SweepInterval time.Duration
	// SweepBatch is the most rows one sweeping statement deletes. Default
	// DefaultSweepBatch.
	SweepBatch int
	// Logger receives the sweeper's warnings; nil discards them. Nothing
	// logged contains a session key, value or subject. Go addition.
	Logger *slog.Logger
}

// ErrConfig reports an invalid Config; every error New returns for one
// matches it.
var ErrConfig = errors.New("postgres: invalid configuration")

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// settings is a validated Config with its defaults applied.
type settings struct {
	sqlstore.Settings
	layout     sqlstore.Layout
	poolConfig *pgxpool.Config // nil with Config.Pool
}

// options are the fields both SQL drivers read alike (see sqlstore.Options).
func (c *Config) options() sqlstore.Options {
	return sqlstore.Options{
		Mode: c.Mode, Table: c.Table, TableMeta: c.TableMeta, Clock: c.Clock, MaxValueSize: c.MaxValueSize,
		SweepInterval: c.SweepInterval, SweepBatch: c.SweepBatch, Logger: c.Logger,
	}
}

func (c *Config) settings() (*settings, error) {
	s := &settings{}
	var err error
	if s.layout, err = c.layout(); err != nil {
		return nil, err
	}
	if s.Settings, err = c.options().Settings(0, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.Pool != nil {
		if err := c.checkNoConnFields(); err != nil {
			return nil, err
		}
		return s, nil
	}
	if c.ClosePool {
		return nil, configError("ClosePool needs Pool")
	}
	if s.poolConfig, err = c.poolConfig(); err != nil {
		return nil, err
	}
	return s, nil
}

// layout checks the mode and the table names.
func (c *Config) layout() (sqlstore.Layout, error) {
	l, err := c.options().Layout(func(arg, name string) (sqlstore.Table, error) {
		return sqlstore.ParseTable(dialect, arg, name)
	})
	if err != nil {
		return sqlstore.Layout{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return l, nil
}

// checkNoConnFields refuses connection settings beside Pool: they would be
// silently ignored.
func (c *Config) checkNoConnFields() error {
	set := c.connFieldsSet()
	if c.ConnString != "" {
		set = append(set, "ConnString")
	}
	if len(set) > 0 {
		return configError("Pool is given, so %v must be empty (the pool has its own)", set)
	}
	return nil
}

// connFieldsSet names the connection fields that are not zero.
func (c *Config) connFieldsSet() []string {
	var set []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"Host", c.Host != ""}, {"Port", c.Port != 0}, {"Application", c.Application != ""},
		{"Username", c.Username != ""}, {"Password", c.Password != ""}, {"Database", c.Database != ""},
		{"ConnectTimeout", c.ConnectTimeout != 0}, {"SendTimeout", c.SendTimeout != 0}, {"ReadTimeout", c.ReadTimeout != 0},
		{"KeepaliveTimeout", c.KeepaliveTimeout != 0},
		{"PoolSize", c.PoolSize != 0},
		{"SSL", c.SSL}, {"SSLRequired", c.SSLRequired}, {"SSLInsecureSkipVerify", c.SSLInsecureSkipVerify},
		{"ServerName", c.ServerName != ""}, {"RootCAs", c.RootCAs != nil}, {"Certificates", len(c.Certificates) > 0},
	} {
		if f.set {
			set = append(set, f.name)
		}
	}
	return set
}
