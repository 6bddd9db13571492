package mysql

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
// Config.SweepInterval; call it yourself when the sweeper is off.
func (s *Storage) Sweep(ctx context.Context) (SweepStats, error) {
	return s.core.Sweep(ctx, classify)
}

// sweepBatch is the sqlstore.SweepFunc of the Storage: one DELETE of at
// most limit expired rows.
func (s *Storage) sweepBatch(ctx context.Context, now time.Time, limit int) (int64, error) {
	// Through exec: a KILL QUERY when the sweeper stops mid-batch, no
	// transaction to roll back (one statement).
	n, err := s.execOnce(ctx, query{Stmt: s.st.sweep}, s.st.sweep.Bind(s.core.SweepValues(now, limit)))
	if err != nil {
		return 0, classify(ctx, err)
	}
	return n, nil
}
