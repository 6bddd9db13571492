package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// shared is the PostgreSQL container the tests share (each in schemas of
// its own); nil when it could not start (sharedErr says why).
var (
	shared    *pgtest.Server
	sharedErr error
	// admin is a pool on the shared server for the tests' own SQL.
	admin *pgxpool.Pool
)

func TestMain(m *testing.M) {
	os.Exit(sqlstoretest.Main(m, func() (func(), error) {
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		if shared, sharedErr = pgtest.Run(ctx, pgtest.WithSetting("max_connections", "300")); sharedErr != nil {
			return func() {}, nil // the tests skip, or fail with SESSIONSTORE_REQUIRE_DOCKER=1
		}
		terminate := func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := shared.Terminate(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
		cfg, err := pgxpool.ParseConfig(shared.ConnString)
		if err == nil {
			cfg.MaxConns = 40
			admin, err = pgxpool.NewWithConfig(context.Background(), cfg)
		}
		if err != nil {
			terminate()
			return nil, err
		}
		return func() { admin.Close(); terminate() }, nil
	}))
}

// server returns the shared server's connection string, or skips (fails
// with SESSIONSTORE_REQUIRE_DOCKER=1) when there is none.
func server(t testing.TB) string {
	t.Helper()
	if shared == nil {
		pgtest.SkipOrFail(t, sharedErr)
	}
	return shared.ConnString
}

// freshSchema creates a database schema of the test's own and drops it
// (with everything in it) at cleanup. It returns its name.
func freshSchema(t testing.TB) string {
	t.Helper()
	server(t)
	return shared.Schema(t)
}

// newStorage returns a Storage on the shared server, in a fresh schema
// with its tables created (unless cfg names a Table), closed at cleanup.
// Without Pool and ConnString it connects with the server's string.
func newStorage(t testing.TB, cfg postgres.Config) *postgres.Storage {
	t.Helper()
	s, _ := newStorageSchema(t, cfg)
	return s
}

// newStorageSchema is newStorage that also returns the database schema of
// the tables ("" when cfg named them).
func newStorageSchema(t testing.TB, cfg postgres.Config) (*postgres.Storage, string) {
	t.Helper()
	url := server(t)
	schema := ""
	if cfg.Table == "" {
		schema = freshSchema(t)
		cfg.Table = schema + ".sessions"
	}
	if cfg.Pool == nil && cfg.ConnString == "" && cfg.Host == "" {
		cfg.ConnString = url
	}
	s := sqlstoretest.Open(t, func() (*postgres.Storage, error) { return postgres.New(cfg) })
	return s, schema
}

// sessionKey returns a fresh 43-character base64url key, as
// lua-resty-session makes them.
func sessionKey() string { return sqlstoretest.Key() }

// configOf maps the shared tests' options onto a Config.
func configOf(o sqlstoretest.Options) postgres.Config {
	cfg := postgres.Config{
		Mode: o.Mode, Table: o.Table, PoolSize: o.PoolSize, Clock: o.Clock, SweepInterval: o.SweepInterval,
		SweepBatch: o.SweepBatch, ConnectTimeout: o.ConnectTimeout, ReadTimeout: o.ReadTimeout, HashSubject: o.HashSubject,
	}
	if o.Namespace != "" {
		cfg.Table = o.Namespace + ".sessions"
	}
	return cfg
}

// harness is what the shared tests (sqlstoretest) need of PostgreSQL.
var harness = sqlstoretest.Harness{
	Prefix:    "postgres",
	Server:    "PostgreSQL",
	ErrConfig: postgres.ErrConfig,
	New: func(t testing.TB, o sqlstoretest.Options) (sqlstoretest.Store, string) {
		return newStorageSchema(t, configOf(o))
	},
	Open: func(o sqlstoretest.Options) error {
		cfg := configOf(o)
		if shared != nil {
			cfg.ConnString = shared.ConnString
		}
		s, err := postgres.New(cfg)
		if err == nil {
			err = s.Close()
		}
		return err
	},
	Namespace: func(t testing.TB) string { return freshSchema(t) },
	Exec: func(t testing.TB, stmt string) {
		t.Helper()
		_, err := admin.Exec(context.Background(), stmt)
		require.NoError(t, err, stmt)
	},
	Count: countRows,
	QueryString: func(t testing.TB, query string, args ...any) string {
		t.Helper()
		var s string
		require.NoError(t, admin.QueryRow(context.Background(), query, args...).Scan(&s), query)
		return s
	},
	Param: func(n int) string { return "$" + strconv.Itoa(n) },
}

// countRows counts the rows of table (as Lua names it: spliced raw) that
// match where.
func countRows(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow(context.Background(), "SELECT count(*) FROM "+table+" WHERE "+where, args...).Scan(&n))
	return n
}

// lockRow holds the row lock of key in table, in a transaction of the
// admin pool, until the returned release runs (cleanup runs it too).
func lockRow(t *testing.T, table, key string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "SELECT 1 FROM "+table+" WHERE sid = $1 FOR UPDATE", key)
	require.NoError(t, err)
	release = func() {
		if err := tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			t.Errorf("release the lock: %v", err)
		}
	}
	t.Cleanup(release)
	return release
}
