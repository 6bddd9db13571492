package mysqltest_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/drivers/mysql/mysqltest"
	"github.com/sessionstore/sessionstore/session"
)

func TestMain(m *testing.M) {
	// Docker's client keeps idle HTTP connections alive; they are not this
	// package's goroutines.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}

// One server: storages in databases of their own, isolated from each
// other; the test account is there; a restart keeps the data and the
// address.
func TestServer(t *testing.T) {
	srv := mysqltest.Start(t, mysqltest.WithSetting("max_connections", "50"))
	assert.Equal(t, "127.0.0.1", srv.Host)
	assert.Contains(t, srv.DSN, "@tcp(127.0.0.1:")
	ctx := context.Background()

	db := open(t, srv.DSN)
	var maxConns string
	require.NoError(t, db.QueryRow("SELECT @@max_connections").Scan(&maxConns))
	assert.Equal(t, "50", maxConns, "WithSetting reaches the server")
	var version string
	require.NoError(t, db.QueryRow("SELECT VERSION()").Scan(&version))
	assert.Contains(t, version, "MariaDB")

	cfg := gomysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName, cfg.Addr = mysqltest.TestUser, mysqltest.TestPassword, mysqltest.TestDatabase, srv.DSN[strings.Index(srv.DSN, "(")+1:strings.Index(srv.DSN, ")")]
	cfg.Net = "tcp"
	require.NoError(t, open(t, cfg.FormatDSN()).Ping(), "test/test on database test")

	a := srv.NewStorage(t, mysql.Config{})
	b := srv.NewStorage(t, mysql.Config{Mode: mysql.LuaTables, Table: "lua_sessions"})
	key := "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ"
	require.NoError(t, a.Set(ctx, "session", key, []byte("a"), time.Hour, time.Now(), session.SetOptions{}))
	_, err := b.Get(ctx, "session", key)
	assert.ErrorIs(t, err, session.ErrNotFound, "each Storage has tables of its own")
	var where string
	require.NoError(t, db.QueryRow("SELECT table_schema FROM information_schema.tables WHERE table_name = 'lua_sessions'").Scan(&where))
	assert.True(t, strings.HasPrefix(where, "mysqltest_"), "an unqualified Table goes into the test's database, not %q", where)

	require.NoError(t, srv.Stop(ctx))
	_, err = a.Get(ctx, "session", key)
	assert.Error(t, err, "the server is down")
	require.NoError(t, srv.Start(ctx))
	require.Eventually(t, func() bool {
		got, err := a.Get(ctx, "session", key)
		return err == nil && string(got) == "a"
	}, time.Minute, 20*time.Millisecond, "same address, data kept")
}

// open is a pool on dsn closed at cleanup.
func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// NewStorage alone starts a server for the test.
func TestNewStorage(t *testing.T) {
	store := mysqltest.NewStorage(t, mysql.Config{Mode: mysql.LuaTables})
	ctx := context.Background()
	require.NoError(t, store.Set(ctx, "session", "k", []byte(`["v"]`), time.Minute, time.Now(), session.SetOptions{}))
	got, err := store.Get(ctx, "session", "k")
	require.NoError(t, err)
	assert.Equal(t, `["v"]`, string(got))
}

// A Server not made by Start or Run says so instead of panicking.
func TestZeroServer(t *testing.T) {
	var srv mysqltest.Server
	ctx := context.Background()
	assert.ErrorContains(t, srv.Stop(ctx), "not started by mysqltest")
	assert.ErrorContains(t, srv.Start(ctx), "not started by mysqltest")
	assert.ErrorContains(t, srv.Terminate(ctx), "not started by mysqltest")
	assert.NotEmpty(t, mysqltest.Image())
}
