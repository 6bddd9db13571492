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
	return s.core.Sweep(ctx, nil)
}

// sweepBatch is the sqlstore.SweepFunc of the Storage: one DELETE of at
// most limit expired rows, straight on the pool: no retry and no
// per-operation timeout (the sweeper bounds each batch itself).
func (s *Storage) sweepBatch(ctx context.Context, now time.Time, limit int) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.st.sweep.SQL, s.st.sweep.Bind(s.core.SweepValues(now, limit))...)
	return tag.RowsAffected(), err
}
