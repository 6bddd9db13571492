package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

func TestRestartUnderLoad(t *testing.T) {
	server(t) // skips (or fails) without Docker, like the rest
	srv := pgtest.Start(t)
	store := srv.NewStorage(t, postgres.Config{PoolSize: 4, ConnectTimeout: 2 * time.Second})
	sqlstoretest.RestartUnderLoad(t, harness, sqlstoretest.Restartable{Store: store, Stop: srv.Stop, Start: srv.Start})
}

// The application's pool has one connection, and the test holds it.
func TestPoolExhausted(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(server(t))
	require.NoError(t, err)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	defer pool.Close()
	store := newStorage(t, postgres.Config{Pool: pool})
	sqlstoretest.PoolExhausted(t, store, func(t *testing.T) func() {
		held, err := pool.Acquire(context.Background()) // the only connection
		require.NoError(t, err)
		return held.Release
	})
}

// An ended context makes pgx send a cancel request: the server stops the
// statement, which pg_stat_activity shows no longer waiting for the lock.
func TestStatementExceedsDeadline(t *testing.T) {
	server(t)
	// A statement_timeout far longer than the test's waits: only the cancel
	// request can end the statement in time.
	store, schema := newStorageSchema(t, postgres.Config{Host: shared.Host, Port: shared.Port, Application: "deadline-test", ReadTimeout: 10 * time.Minute})
	sqlstoretest.StatementExceedsDeadline(t, store, sqlstoretest.Locks{
		Lock: func(t *testing.T, key string) func() { return lockRow(t, schema+".sessions", key) },
		Waiting: func(t *testing.T) int {
			var n int
			require.NoError(t, admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = 'deadline-test' AND wait_event_type = 'Lock'`).Scan(&n))
			return n
		},
	})
}

// ReadTimeout is the server's statement_timeout: SQLSTATE 57014.
func TestOwnTimeout(t *testing.T) {
	store, schema := newStorageSchema(t, postgres.Config{ReadTimeout: 100 * time.Millisecond})
	sqlstoretest.OwnTimeout(t, store, func(t *testing.T, key string) func() {
		return lockRow(t, schema+".sessions", key)
	}, postgres.ErrTimeout, "57014")
}
