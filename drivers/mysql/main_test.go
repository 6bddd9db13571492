package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/drivers/mysql/mysqltest"
)

var b64 = base64.RawURLEncoding

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
	code := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		shared, sharedErr = mysqltest.Run(ctx, mysqltest.WithSetting("max_connections", "300"))
		cancel()
		if shared != nil {
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := shared.Terminate(ctx); err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}()
			cfg, err := gomysql.ParseDSN(shared.DSN)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			cfg.MultiStatements = true
			cfg.InterpolateParams = true
			connector, err := gomysql.NewConnector(cfg)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			admin = sql.OpenDB(connector)
			admin.SetMaxOpenConns(40)
			admin.SetMaxIdleConns(40)
			defer admin.Close()
		}
		return m.Run()
	}()
	if code == 0 {
		// Docker's client keeps idle HTTP connections alive; they are not
		// this package's goroutines.
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
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

var dbSeq atomic.Int64

// freshDatabase creates a database of the test's own and drops it (with
// everything in it) at cleanup. It returns its name.
func freshDatabase(t testing.TB) string {
	t.Helper()
	server(t)
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := fmt.Sprintf("t%d_%x", dbSeq.Add(1), r)
	_, err := admin.Exec("CREATE DATABASE " + name)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := admin.ExecContext(ctx, "DROP DATABASE "+name)
		require.NoError(t, err)
	})
	return name
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
	s, err := mysql.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.CreateSchema(ctx))
	return s, db
}

// sessionKey returns a fresh 43-character base64url key, as
// lua-resty-session makes them.
func sessionKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

// countRows counts the rows of table (spliced raw) that match where.
func countRows(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow("SELECT count(*) FROM "+table+" WHERE "+where, args...).Scan(&n))
	return n
}
