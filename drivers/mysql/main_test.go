package mysql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/drivers/mysql/mysqltest"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// shared is the MariaDB container the tests share (each in databases of
// its own); nil when it could not start (sharedErr says why).
var (
	shared    *mysqltest.Server
	sharedErr error
	// admin is a pool on the shared server for the tests' own SQL
	// (several statements per query allowed).
	admin *sql.DB
)

func TestMain(m *testing.M) {
	os.Exit(sqlstoretest.Main(m, func() (func(), error) {
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		if shared, sharedErr = mysqltest.Run(ctx, mysqltest.WithSetting("max_connections", "300")); sharedErr != nil {
			return func() {}, nil // the tests skip, or fail with SESSIONSTORE_REQUIRE_DOCKER=1
		}
		terminate := func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := shared.Terminate(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
		cfg, err := gomysql.ParseDSN(shared.DSN)
		var connector driver.Connector
		if err == nil {
			cfg.MultiStatements = true
			cfg.InterpolateParams = true
			connector, err = gomysql.NewConnector(cfg)
		}
		if err != nil {
			terminate()
			return nil, err
		}
		admin = sql.OpenDB(connector)
		admin.SetMaxOpenConns(40)
		admin.SetMaxIdleConns(40)
		return func() { _ = admin.Close(); terminate() }, nil
	}))
}

// server returns the shared server's DSN, or skips (fails with
// SESSIONSTORE_REQUIRE_DOCKER=1) when there is none.
func server(t testing.TB) string {
	t.Helper()
	if shared == nil {
		mysqltest.SkipOrFail(t, sharedErr)
	}
	return shared.DSN
}

// freshDatabase creates a database of the test's own and drops it (with
// everything in it) at cleanup. It returns its name.
func freshDatabase(t testing.TB) string {
	t.Helper()
	server(t)
	return shared.Database(t)
}

// newStorage returns a Storage on the shared server, in a fresh database
// with its tables created (unless cfg names a Table), closed at cleanup.
// Without DSN and Host it connects with the server's DSN.
func newStorage(t testing.TB, cfg mysql.Config) *mysql.Storage {
	t.Helper()
	s, _ := newStorageDB(t, cfg)
	return s
}

// newStorageDB is newStorage that also returns the database of the tables
// ("" when cfg named them).
func newStorageDB(t testing.TB, cfg mysql.Config) (*mysql.Storage, string) {
	t.Helper()
	dsn := server(t)
	db := ""
	if cfg.Table == "" {
		db = freshDatabase(t)
		cfg.Table = db + ".sessions"
	}
	if cfg.DSN == "" && cfg.Host == "" {
		cfg.DSN = dsn
	}
	s := sqlstoretest.Open(t, func() (*mysql.Storage, error) { return mysql.New(cfg) })
	return s, db
}

// sessionKey returns a fresh 43-character base64url key, as
// lua-resty-session makes them.
func sessionKey() string { return sqlstoretest.Key() }

// countRows counts the rows of table (spliced raw) that match where.
func countRows(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow("SELECT count(*) FROM "+table+" WHERE "+where, args...).Scan(&n))
	return n
}

// configOf maps the shared tests' options onto a Config.
func configOf(o sqlstoretest.Options) mysql.Config {
	cfg := mysql.Config{
		Mode: o.Mode, Table: o.Table, PoolSize: o.PoolSize, Clock: o.Clock, SweepInterval: o.SweepInterval,
		SweepBatch: o.SweepBatch, ConnectTimeout: o.ConnectTimeout, ReadTimeout: o.ReadTimeout, HashSubject: o.HashSubject,
	}
	if o.Namespace != "" {
		cfg.Table = o.Namespace + ".sessions"
	}
	return cfg
}

// harness is what the shared tests (sqlstoretest) need of MariaDB.
var harness = sqlstoretest.Harness{
	Prefix:    "mysql",
	Server:    "MariaDB",
	ErrConfig: mysql.ErrConfig,
	New: func(t testing.TB, o sqlstoretest.Options) (sqlstoretest.Store, string) {
		return newStorageDB(t, configOf(o))
	},
	Open: func(o sqlstoretest.Options) error {
		cfg := configOf(o)
		if shared != nil {
			cfg.DSN = shared.DSN
		}
		s, err := mysql.New(cfg)
		if err == nil {
			err = s.Close()
		}
		return err
	},
	Namespace: func(t testing.TB) string { return freshDatabase(t) },
	Exec: func(t testing.TB, stmt string) {
		t.Helper()
		_, err := admin.Exec(stmt)
		require.NoError(t, err, stmt)
	},
	Count: countRows,
	QueryString: func(t testing.TB, query string, args ...any) string {
		t.Helper()
		var s string
		require.NoError(t, admin.QueryRow(query, args...).Scan(&s), query)
		return s
	},
	Param: func(int) string { return "?" },
}
