package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// fillExpired inserts n expired sessions (each with an index row) straight
// into a schema's tables, as a backlog left by a stopped sweeper.
func fillExpired(t *testing.T, schema string, mode postgres.Mode, n int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	cols, vals := "aud, sub, sid", "'YQ', 'cw', 'expired-' || i"
	if mode == postgres.OwnTables {
		cols, vals = "name, "+cols, "'session', "+vals
	}
	// One transaction: a running sweeper must not see sessions without
	// their index rows.
	err := pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, fmt.Sprintf(
			`INSERT INTO %s.sessions (name, sid, data, exp) SELECT 'session', 'expired-' || i, '', $1 FROM generate_series(1, $2) AS i`,
			schema), now.Add(-time.Hour), n)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.sessions_meta (%s) SELECT %s FROM generate_series(1, $1) AS i`, schema, cols, vals), n)
		return err
	})
	require.NoError(t, err)
}

func TestSweepBacklogInBatches(t *testing.T) {
	sqlstoretest.SweepBacklogInBatches(t, harness, fillExpired)
}

func TestSweeperInBackground(t *testing.T) { sqlstoretest.SweeperInBackground(t, harness, fillExpired) }
func TestSweepFollowsClock(t *testing.T)   { sqlstoretest.SweepFollowsClock(t, harness) }
