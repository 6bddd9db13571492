package sqlstoretest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/session"
)

// FillExpired inserts n expired sessions (each with an index row, name
// "session", audience "a", subject "s") straight into the tables of
// namespace ns, in one transaction, as a backlog left by a stopped
// sweeper.
type FillExpired func(t *testing.T, ns string, mode sqlstore.Mode, n int, now time.Time)

// SweepBacklogInBatches: a large backlog goes in batches of SweepBatch
// rows, each its own short statement; live sessions and their index rows
// stay.
func SweepBacklogInBatches(t *testing.T, h Harness, fill FillExpired) {
	for _, tc := range []struct {
		mode    sqlstore.Mode
		backlog int
	}{{OwnTables, 25000}, {LuaTables, 2500}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			now := time.Now()
			store, ns := h.New(t, Options{Mode: tc.mode, SweepInterval: -1, SweepBatch: 1000})
			ctx := context.Background()
			md := []session.Pair{{Audience: "a", Subject: "s"}}
			var live []string
			for range 10 {
				k := Key()
				require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
				live = append(live, k)
			}
			fill(t, ns, tc.mode, tc.backlog, now)

			st, err := store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(tc.backlog), st.Rows)
			assert.Equal(t, tc.backlog/1000+1, st.Batches, "full batches of 1000, then a short one ends the round")
			assert.Equal(t, len(live), h.Count(t, ns+".sessions", "true"))
			assert.Equal(t, len(live), h.Count(t, ns+".sessions_meta", "true"), "the index rows of swept sessions went with them")
			listed, err := store.ReadMetadata(ctx, "session", "a", "s", now)
			require.NoError(t, err)
			assert.Len(t, listed, len(live))

			st, err = store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, sqlstore.SweepStats{Rows: 0, Batches: 1}, st, "nothing left")
		})
	}
}

// SweeperInBackground: the background sweeper removes expired sessions
// within a bounded time, off the request path, and Close stops it (the
// package's goleak check sees no goroutine left).
func SweeperInBackground(t *testing.T, h Harness, fill FillExpired) {
	store, ns := h.New(t, Options{SweepInterval: 20 * time.Millisecond, SweepBatch: 500})
	ctx := context.Background()
	now := time.Now()
	k := Key()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{}))
	fill(t, ns, OwnTables, 3000, now)
	WaitFor(t, func() bool { return h.Count(t, ns+".sessions", "true") == 1 }, "the sweeper removes the backlog")
	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got), "a live session stays")
	require.NoError(t, store.Close())
}

// SweepFollowsClock: the sweeper decides by the Storage's clock: a
// session is swept once that clock has passed its expiry, and not before.
func SweepFollowsClock(t *testing.T, h Harness) {
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			start := time.Unix(1700000000, 0)
			now := start
			store, ns := h.New(t, Options{Mode: mode, Clock: func() time.Time { return now }, SweepInterval: -1})
			ctx := context.Background()
			require.NoError(t, store.Set(ctx, "session", Key(), []byte("v"), time.Minute, start, session.SetOptions{}))
			st, err := store.Sweep(ctx)
			require.NoError(t, err)
			assert.Zero(t, st.Rows)
			now = start.Add(time.Minute + time.Second)
			st, err = store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1), st.Rows)
			assert.Zero(t, h.Count(t, ns+".sessions", "true"))
		})
	}
}
