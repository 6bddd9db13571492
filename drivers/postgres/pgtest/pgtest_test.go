package pgtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
	"github.com/sessionstore/sessionstore/session"
)

func TestMain(m *testing.M) {
	// Docker's client keeps idle HTTP connections alive; they are not this
	// package's goroutines.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}

// One server: storages in schemas of their own, isolated from each other;
// a restart keeps the data and the address.
func TestServer(t *testing.T) {
	srv := pgtest.Start(t, pgtest.WithSetting("max_connections", "50"))
	assert.Equal(t, "127.0.0.1", srv.Host)
	assert.Contains(t, srv.ConnString, "@127.0.0.1:")
	ctx := context.Background()

	conn, err := pgx.Connect(ctx, srv.ConnString)
	require.NoError(t, err)
	var maxConns string
	require.NoError(t, conn.QueryRow(ctx, "SHOW max_connections").Scan(&maxConns))
	assert.Equal(t, "50", maxConns, "WithSetting reaches the server")
	require.NoError(t, conn.Close(ctx))

	a := srv.NewStorage(t, postgres.Config{})
	b := srv.NewStorage(t, postgres.Config{Mode: postgres.LuaTables, Table: "lua_sessions"})
	key := "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ"
	require.NoError(t, a.Set(ctx, "session", key, []byte("a"), time.Hour, time.Now(), session.SetOptions{}))
	_, err = b.Get(ctx, "session", key)
	assert.ErrorIs(t, err, session.ErrNotFound, "each Storage has tables of its own")
	var where string
	require.NoError(t, conn2(t, srv).QueryRow(ctx,
		"SELECT schemaname FROM pg_tables WHERE tablename = 'lua_sessions'").Scan(&where))
	assert.True(t, strings.HasPrefix(where, "pgtest_"), "an unqualified Table goes into the test's schema, not %q", where)

	require.NoError(t, srv.Stop(ctx))
	_, err = a.Get(ctx, "session", key)
	assert.Error(t, err, "the server is down")
	require.NoError(t, srv.Start(ctx))
	require.Eventually(t, func() bool {
		got, err := a.Get(ctx, "session", key)
		return err == nil && string(got) == "a"
	}, time.Minute, 20*time.Millisecond, "same address, data kept")
}

// conn2 is a connection to srv closed at cleanup.
func conn2(t *testing.T, srv *pgtest.Server) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), srv.ConnString)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// NewStorage alone starts a server for the test.
func TestNewStorage(t *testing.T) {
	store := pgtest.NewStorage(t, postgres.Config{Mode: postgres.LuaTables})
	ctx := context.Background()
	require.NoError(t, store.Set(ctx, "session", "k", []byte(`["v"]`), time.Minute, time.Now(), session.SetOptions{}))
	got, err := store.Get(ctx, "session", "k")
	require.NoError(t, err)
	assert.Equal(t, `["v"]`, string(got))
}

// A Server not made by Start or Run says so instead of panicking.
func TestZeroServer(t *testing.T) {
	var srv pgtest.Server
	ctx := context.Background()
	assert.ErrorContains(t, srv.Stop(ctx), "not started by pgtest")
	assert.ErrorContains(t, srv.Start(ctx), "not started by pgtest")
	assert.ErrorContains(t, srv.Terminate(ctx), "not started by pgtest")
	assert.NotEmpty(t, pgtest.Image())
}
