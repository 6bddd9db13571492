package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// Mode chooses the tables a Storage uses: OwnTables (the default) or
// LuaTables. See the package documentation for what each keeps.
type Mode = sqlstore.Mode

// The table modes.
const (
	// OwnTables is this driver's schema, which keeps every rule of the
	// storage contract: sessions keyed by (name, sid) in VARBINARY columns,
	// values in a MEDIUMBLOB, expiries in Unix seconds (BIGINT), the index
	// keyed by (name, aud, sub, sid).
	OwnTables = sqlstore.OwnTables
	// LuaTables shares lua-resty-session's own tables with OpenResty
	// services (section 9 of the contract): sessions keyed by sid
	// CHAR(43) alone, data MEDIUMTEXT and everything in the ascii
	// character set, expiries as DATETIME, an index without cookie names.
	LuaTables = sqlstore.LuaTables
)

// Defaults of the Config fields. Host, Port and Table are
// lua-resty-session's; the rest are Go defaults: Lua inherits nginx's 60 s
// socket timeouts, far too long for a request path.
const (
	DefaultHost           = "127.0.0.1"
	DefaultPort           = 3306
	DefaultUsername       = "root"
	DefaultCharset        = "utf8mb4"
	DefaultTable          = sqlstore.DefaultTable
	DefaultConnectTimeout = 5 * time.Second
	DefaultSendTimeout    = 5 * time.Second
	DefaultReadTimeout    = 5 * time.Second
	DefaultPoolSize       = 20
	DefaultSweepInterval  = sqlstore.DefaultSweepInterval
	DefaultSweepBatch     = sqlstore.DefaultSweepBatch
)

// Limits on what a Set writes, in bytes. A longer argument is refused with
// an error matching session.ErrTooLarge, nothing sent; the server, in
// strict mode, would refuse it too rather than truncate it.
//
// OwnTables: the index table's primary key holds name, audience, subject
// and key together, within InnoDB's 3,072-byte limit on an index key.
// LuaTables: lua-resty-session's columns, sid CHAR(43), name, aud and sub
// VARCHAR(255) (an audience or subject of 191 bytes is 255 characters of
// base64url).
const (
	MaxNameLength    = 255
	MaxKeyLength     = 512
	MaxPairLength    = 384
	MaxLuaKeyLength  = 43
	MaxLuaPairLength = 191
	// MaxValueLength is the most a MEDIUMBLOB (OwnTables) or MEDIUMTEXT
	// (LuaTables) data column holds.
	MaxValueLength = 1<<24 - 1
)

// columnsOf says what the tables of mode hold.
func columnsOf(mode Mode) sqlstore.Columns {
	if mode == LuaTables {
		return sqlstore.Columns{
			Name: sqlstore.ASCII, Key: sqlstore.Token, Value: sqlstore.ASCII,
			MaxName: MaxNameLength, MaxKey: MaxLuaKeyLength, MaxPair: MaxLuaPairLength,
		}
	}
	return sqlstore.Columns{
		Name: sqlstore.Binary, Key: sqlstore.Binary, Value: sqlstore.Binary,
		MaxName: MaxNameLength, MaxKey: MaxKeyLength, MaxPair: MaxPairLength,
	}
}

// Config configures a Storage. Each field names the lua-resty-session
// option (mysql_*) it maps to; the zero value talks to root@127.0.0.1:3306
// in clear text and needs Table to name its database ("web.sessions"),
// using this driver's own tables.
//
// The connection is given one of two ways: the Lua fields (Host, Port,
// Socket, Username, …) or a go-sql-driver DSN. Mixing them is a
// configuration error. An application's own *sql.DB cannot be shared: the
// driver's connections need settings of their own (see the package
// documentation), so the Storage keeps a pool of PoolSize connections.
type Config struct {
	// Host is the server's host name or IP address (host). Default
	// DefaultHost.
	Host string
	// Port is the server's port (port). Default DefaultPort.
	Port int
	// Socket is the path of the server's unix socket (socket); it wins
	// over Host and Port.
	Socket string
	// Username is the user to log in as (username). Default
	// DefaultUsername.
	Username string
	// Password is the user's password (password).
	Password string
	// Database is the default database (database). Table names that do
	// not name their database ("sessions") are looked for in it.
	Database string
	// Charset is the connection's character set (charset): utf8mb4
	// (default), utf8mb3 (utf8), ascii or latin1. Every value travels as a
	// literal escaped by go-sql-driver, which is safe only in character
	// sets where no multi-byte character can hide a quote; the others are
	// refused. Lua's default is ascii; its sessions are ASCII either way.
	Charset string

	// DSN is a go-sql-driver data source name
	// ("app:pw@tcp(db:3306)/web?tls=true&readTimeout=3s"). Go addition; it
	// replaces the fields above and the SSL fields. The settings the driver
	// needs are made on top of it (see the package documentation); a
	// sql_mode it sets must be strict.
	DSN string

	// DialContext, when set, makes the connections (e.g. through a tunnel
	// or a cloud connector). Go addition.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Mode chooses the tables: OwnTables (default) or LuaTables.
	Mode Mode
	// Table is the sessions table (table), database-qualified if wanted
	// ("web.sessions"); split at the dot, each part quoted, so the name is
	// taken as written. Default DefaultTable.
	Table string
	// TableMeta is the index table (table_meta). Default Table + "_meta".
	TableMeta string

	// ConnectTimeout bounds making one connection, TLS and login included
	// (connect_timeout). Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// SendTimeout bounds each write to the socket (send_timeout): the
	// connection is dropped when the server takes no data for that long.
	// Default DefaultSendTimeout.
	SendTimeout time.Duration
	// ReadTimeout is how long a statement may wait for a row lock
	// (read_timeout): it becomes the connections' innodb_lock_wait_timeout
	// (whole seconds, rounded up), so the server gives up on a longer
	// wait and the call fails with ErrTimeout. The socket's read deadline
	// is one second more: a server that stops answering fails the call
	// then, and the connection is dropped. No timer runs per call.
	// Default DefaultReadTimeout.
	ReadTimeout time.Duration
	// KeepaliveTimeout is how long a connection may sit idle in the pool
	// before it is closed (keepalive_timeout). Default: no limit.
	KeepaliveTimeout time.Duration
	// PoolSize is the most connections the Storage opens (pool_size).
	// Callers beyond it wait for one, within their context. Default
	// DefaultPoolSize. Lua's pool (a named pool shared between storages)
	// and backlog have no field: bound the wait with the caller's context.
	PoolSize int

	// SSL switches TLS on (ssl): TLS or no connection, as with
	// lua-resty-session (resty.mysql refuses a server without SSL).
	SSL bool
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
	// MaxValueSize is the largest value accepted, in bytes; 0 means
	// MaxValueLength (what the data column holds). Whatever it is, a value
	// that would not fit the server's max_allowed_packet once written into
	// its statement is refused before it is sent, with that limit in the
	// error. Go addition.
	MaxValueSize int

	// Clock is the time Get decides liveness by and the sweeper decides
	// expiry by (Set, Delete and ReadMetadata use the now they are
	// passed, as lua-resty-session uses its now). Default time.Now. Go
	// addition.
	Clock func() time.Time
	// SweepInterval is how often expired sessions are deleted, in batches,
	// by a goroutine that Close stops. Default DefaultSweepInterval;
	// negative switches the sweeper off (call Sweep yourself). Go
	// addition: Lua deletes every expired row with probability 1/1000 per
	// write, on the request path.
	SweepInterval time.Duration
	// SweepBatch is the most rows one sweeping statement deletes. Default
	// DefaultSweepBatch.
	SweepBatch int
	// Logger receives the sweeper's warnings and go-sql-driver's own log
	// lines (dropped connections); nil discards them. Nothing logged
	// contains a session key, value or subject. Go addition.
	Logger *slog.Logger
}

// ErrConfig reports an invalid Config; every error New returns for one
// matches it.
var ErrConfig = errors.New("mysql: invalid configuration")

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// settings is a validated Config with its defaults applied.
type settings struct {
	sqlstore.Settings
	layout sqlstore.Layout
	conn   *connSettings
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
	if s.Settings, err = c.options().Settings(MaxValueLength, MaxValueLength); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if s.conn, err = c.connSettings(); err != nil {
		return nil, err
	}
	if s.layout, err = c.layout(s.conn.my.DBName); err != nil {
		return nil, err
	}
	return s, nil
}

// layout checks the table names and the mode. Without a default database
// (database), both tables must name theirs.
func (c *Config) layout(database string) (sqlstore.Layout, error) {
	l, err := c.options().Layout(func(arg, name string) (sqlstore.Table, error) {
		return parseTable(arg, name, database)
	})
	if err != nil {
		return sqlstore.Layout{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return l, nil
}

// parseTable checks one table name: one part, or database.table.
func parseTable(arg, name, database string) (sqlstore.Table, error) {
	t, err := sqlstore.ParseTable(ownDialect, arg, name)
	if err != nil {
		return sqlstore.Table{}, err
	}
	switch n := len(t.Parts()); {
	case n > 2:
		return sqlstore.Table{}, fmt.Errorf("%s %q: MySQL names a table database.table, not more", arg, name)
	case n == 1 && database == "":
		return sqlstore.Table{}, fmt.Errorf("%s %q names no database, and Database is empty: write %q", arg, name, "db."+name)
	}
	return t, nil
}
