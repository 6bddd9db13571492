package postgres

import (
	"context"
	"time"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// SweepStats is what one sweep did: rows deleted and statements run.
type SweepStats = sqlstore.SweepStats

// Sweep deletes the sessions that expired before the Storage's clock says
// now (Config.Clock), with their index rows, in batches of
// Config.SweepBatch rows, each its own short statement, until a batch comes
// back short or ctx ends. The background sweeper calls it every
// Config.SweepInterval; call it yourself when the sweeper is off. Rows
// another process is sweeping are skipped, not waited for.
func (s *Storage) Sweep(ctx context.Context) (SweepStats, error) {
	if err := s.enter("sweep"); err != nil {
		return SweepStats{}, err
	}
	st, err := sqlstore.SweepRound(ctx, s.sweepCfg)
	if err != nil {
		return st, s.callError(ctx, "sweep", err)
	}
	return st, nil
}

// sweepBatch is the sqlstore.SweepFunc of the Storage: one DELETE of at
// most limit expired rows.
func (s *Storage) sweepBatch(ctx context.Context, now time.Time, limit int) (int64, error) {
	var v sqlstore.Values
	v[sqlstore.ArgNow] = pgTime(now)
	v[sqlstore.ArgLimit] = int64(limit)
	args := s.st.sweep.Bind(&v)
	var n int64
	// Straight on the pool: no retry and no per-operation timeout (the
	// sweeper bounds each batch itself).
	tag, err := s.pool.Exec(ctx, s.st.sweep.SQL, args...)
	n = tag.RowsAffected()
	return n, err
}
