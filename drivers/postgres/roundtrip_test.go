package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
	"github.com/sessionstore/sessionstore/internal/tripcount"
)

// countingPool is a one-connection pool whose round trips are counted.
func countingPool(t *testing.T) (*pgxpool.Pool, *atomic.Int64) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(server(t))
	require.NoError(t, err)
	cfg.MaxConns = 1
	trips := new(atomic.Int64)
	cfg.ConnConfig.DialFunc = tripcount.Dial(trips)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool, trips
}

// Every operation is one round trip once pgx has prepared its statements
// on the connection: a Set of several statements is one pipeline.
func TestRoundTrips(t *testing.T) {
	for _, mode := range sqlstoretest.Modes {
		t.Run(mode.String(), func(t *testing.T) {
			pool, trips := countingPool(t)
			store := newStorage(t, postgres.Config{Pool: pool, Mode: mode, SweepInterval: -1})
			sqlstoretest.RoundTrips(t, store, trips, true)
		})
	}
}
