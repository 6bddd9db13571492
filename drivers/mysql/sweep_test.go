package mysql_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

// fillExpired inserts n expired sessions (each with an index row) straight
// into a database's tables, as a backlog left by a stopped sweeper.
func fillExpired(t *testing.T, db string, mode mysql.Mode, n int, now time.Time) {
	t.Helper()
	exp, name, metaCols, metaName := fmt.Sprint(now.Add(-time.Hour).Unix()), "'session'", "aud, sub, sid", ""
	if mode == mysql.LuaTables {
		exp = "FROM_UNIXTIME(" + exp + ")"
	} else {
		metaCols, metaName = "name, "+metaCols, "'session', "
	}
	// One transaction: a running sweeper must not see sessions without
	// their index rows. The rows come from a recursive CTE counting to n
	// (MariaDB stops one at 1,000 iterations by default).
	_, err := admin.Exec(fmt.Sprintf(`SET SESSION max_recursive_iterations = 1000000;
START TRANSACTION;
INSERT INTO %[1]s.sessions (name, sid, data, exp)
  WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[2]d)
  SELECT %[3]s, CONCAT('expired-', i), '', %[4]s FROM seq;
INSERT INTO %[1]s.sessions_meta (%[5]s)
  WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[2]d)
  SELECT %[6]s'YQ', 'cw', CONCAT('expired-', i) FROM seq;
COMMIT`, db, n, name, exp, metaCols, metaName))
	require.NoError(t, err)
}

// A large backlog goes in batches of SweepBatch rows, each its own short
// statement; live sessions and their index rows stay.
func TestSweepBacklogInBatches(t *testing.T) {
	for _, tc := range []struct {
		mode    mysql.Mode
		backlog int
	}{{mysql.OwnTables, 25000}, {mysql.LuaTables, 2500}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			now := time.Now()
			store, db := newStorageDB(t, mysql.Config{Mode: tc.mode, SweepInterval: -1, SweepBatch: 1000})
			ctx := context.Background()
			md := []session.Pair{{Audience: "a", Subject: "s"}}
			var live []string
			for range 10 {
				k := sessionKey()
				require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
				live = append(live, k)
			}
			fillExpired(t, db, tc.mode, tc.backlog, now)

			st, err := store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(tc.backlog), st.Rows)
			assert.Equal(t, tc.backlog/1000+1, st.Batches, "full batches of 1000, then a short one ends the round")
			assert.Equal(t, len(live), countRows(t, db+".sessions", "true"))
			assert.Equal(t, len(live), countRows(t, db+".sessions_meta", "true"), "the index rows of swept sessions went with them")
			listed, err := store.ReadMetadata(ctx, "session", "a", "s", now)
			require.NoError(t, err)
			assert.Len(t, listed, len(live))

			st, err = store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, mysql.SweepStats{Rows: 0, Batches: 1}, st, "nothing left")
		})
	}
}

// The background sweeper removes expired sessions within a bounded time,
// off the request path, and Close stops it (the package's goleak check
// sees no goroutine left).
func TestSweeperInBackground(t *testing.T) {
	store, db := newStorageDB(t, mysql.Config{SweepInterval: 20 * time.Millisecond, SweepBatch: 500})
	ctx := context.Background()
	now := time.Now()
	k := sessionKey()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{}))
	fillExpired(t, db, mysql.OwnTables, 3000, now)
	waitFor(t, func() bool { return countRows(t, db+".sessions", "true") == 1 }, "the sweeper removes the backlog")
	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got), "a live session stays")
	require.NoError(t, store.Close())
}

// The sweeper decides by the Storage's clock: a session is swept once that
// clock has passed its expiry, and not before.
func TestSweepFollowsClock(t *testing.T) {
	for _, mode := range []mysql.Mode{mysql.OwnTables, mysql.LuaTables} {
		t.Run(mode.String(), func(t *testing.T) {
			start := time.Unix(1700000000, 0)
			now := start
			store, db := newStorageDB(t, mysql.Config{Mode: mode, Clock: func() time.Time { return now }, SweepInterval: -1})
			ctx := context.Background()
			require.NoError(t, store.Set(ctx, "session", sessionKey(), []byte("v"), time.Minute, start, session.SetOptions{}))
			st, err := store.Sweep(ctx)
			require.NoError(t, err)
			assert.Zero(t, st.Rows)
			now = start.Add(time.Minute + time.Second)
			st, err = store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1), st.Rows)
			assert.Zero(t, countRows(t, db+".sessions", "true"))
		})
	}
}
