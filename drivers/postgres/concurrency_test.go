package postgres_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

func TestTwoStoragesOneIndex(t *testing.T) { sqlstoretest.TwoStoragesOneIndex(t, harness) }

// Rotations crossing each other deadlock; PostgreSQL rolls one back and
// the driver runs it again. A tracer on the pool counts the deadlock
// errors (the server's statistics are flushed too late to count on).
func TestCrossedRotationsSurviveDeadlocks(t *testing.T) {
	url := server(t)
	// deadlock_timeout (superuser-settable at connection start) short, so
	// that each deadlock costs milliseconds rather than a second.
	cfg, err := pgxpool.ParseConfig(url + "&deadlock_timeout=20ms")
	require.NoError(t, err)
	cfg.MaxConns = 4
	tracer := &deadlockTracer{}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	store := newStorage(t, postgres.Config{Pool: pool})
	sqlstoretest.CrossedRotations(t, store, tracer.deadlocks.Load)
}

// deadlockTracer counts the statements the server rolled back as deadlock
// victims (SQLSTATE 40P01), in batches and single queries.
type deadlockTracer struct{ deadlocks atomic.Int64 }

func (d *deadlockTracer) count(err error) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "40P01" {
		d.deadlocks.Add(1)
	}
}

func (d *deadlockTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (d *deadlockTracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	d.count(data.Err)
}

func (d *deadlockTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (d *deadlockTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	d.count(data.Err)
}

func (d *deadlockTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
