package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
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

// A large backlog goes in batches of SweepBatch rows, each its own short
// statement; live sessions and their index rows stay.
func TestSweepBacklogInBatches(t *testing.T) {
	for _, tc := range []struct {
		mode    postgres.Mode
		backlog int
	}{{postgres.OwnTables, 25000}, {postgres.LuaTables, 2500}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			now := time.Now()
			store, schema := newStorageSchema(t, postgres.Config{Mode: tc.mode, SweepInterval: -1, SweepBatch: 1000})
			ctx := context.Background()
			md := []session.Pair{{Audience: "a", Subject: "s"}}
			var live []string
			for range 10 {
				k := sessionKey()
				require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
				live = append(live, k)
			}
			fillExpired(t, schema, tc.mode, tc.backlog, now)

			st, err := store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(tc.backlog), st.Rows)
			assert.Equal(t, tc.backlog/1000+1, st.Batches, "full batches of 1000, then a short one ends the round")
			assert.Equal(t, len(live), countRows(t, schema+".sessions", "true"))
			assert.Equal(t, len(live), countRows(t, schema+".sessions_meta", "true"), "the index rows of swept sessions went with them")
			listed, err := store.ReadMetadata(ctx, "session", "a", "s", now)
			require.NoError(t, err)
			assert.Len(t, listed, len(live))

			st, err = store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, postgres.SweepStats{Rows: 0, Batches: 1}, st, "nothing left")
		})
	}
}

// The background sweeper removes expired sessions within a bounded time,
// off the request path, and Close stops it (the package's goleak check
// sees no goroutine left).
func TestSweeperInBackground(t *testing.T) {
	store, schema := newStorageSchema(t, postgres.Config{SweepInterval: 20 * time.Millisecond, SweepBatch: 500})
	ctx := context.Background()
	now := time.Now()
	k := sessionKey()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{}))
	fillExpired(t, schema, postgres.OwnTables, 3000, now)
	waitFor(t, func() bool { return countRows(t, schema+".sessions", "true") == 1 }, "the sweeper removes the backlog")
	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got), "a live session stays")
	require.NoError(t, store.Close())
}

// The sweeper decides by the Storage's clock: a session is swept once that
// clock has passed its expiry, and not before.
func TestSweepFollowsClock(t *testing.T) {
	start := time.Unix(1700000000, 0)
	now := start
	store, schema := newStorageSchema(t, postgres.Config{Clock: func() time.Time { return now }, SweepInterval: -1})
	ctx := context.Background()
	require.NoError(t, store.Set(ctx, "session", sessionKey(), []byte("v"), time.Minute, start, session.SetOptions{}))
	st, err := store.Sweep(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Rows)
	now = start.Add(time.Minute + time.Second)
	st, err = store.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Rows)
	assert.Zero(t, countRows(t, schema+".sessions", "true"))
}
