package sqlstoretest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// TwoStoragesOneIndex: two Storages with pools of their own (as two
// processes) on one pair of tables: 2×100 concurrent Sets of one subject
// are all listed, a quarter deleted through the other Storage leave
// exactly the rest, and rounds of Set, rotation and Delete of one key
// split between them never leave a readable session unlisted (contracts
// 2.11 and 2.17).
func TwoStoragesOneIndex(t *testing.T, h Harness) {
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			a, ns := h.New(t, Options{Mode: mode, PoolSize: 8})
			b, _ := h.New(t, Options{Mode: mode, Namespace: ns, PoolSize: 8})
			ctx := context.Background()
			now := time.Now()
			md := []session.Pair{{Audience: "app", Subject: "shared-user"}}

			keys := make([]string, 200)
			var wg sync.WaitGroup
			errs := make([]error, len(keys))
			for i := range keys {
				keys[i] = Key()
				s := a
				if i%2 == 1 {
					s = b
				}
				wg.Go(func() {
					errs[i] = s.Set(ctx, "session", keys[i], []byte("v"), time.Hour, now, session.SetOptions{Metadata: md})
				})
			}
			wg.Wait()
			require.NoError(t, errors.Join(errs...))
			listed, err := a.ReadMetadata(ctx, "session", "app", "shared-user", now)
			require.NoError(t, err)
			assert.Len(t, listed, len(keys), "no update lost")

			for i := range keys {
				if i%4 != 0 {
					continue
				}
				s := b
				if i%8 == 0 {
					s = a
				}
				wg.Go(func() { errs[i] = s.Delete(ctx, "session", keys[i], now, md) })
			}
			wg.Wait()
			require.NoError(t, errors.Join(errs...))
			listed, err = b.ReadMetadata(ctx, "session", "app", "shared-user", now)
			require.NoError(t, err)
			assert.Len(t, listed, len(keys)*3/4)
			for i, k := range keys {
				_, ok := listed[k]
				assert.Equal(t, i%4 != 0, ok, "key %d", i)
			}
			raceOneKey(t, a, b, md, now)
		})
	}
}

// raceOneKey runs rounds of Set, Delete and two rotations of one key
// split between a and b, with Remember so that no rotated-away key is
// readable unlisted by design: whatever the order, a readable session is
// listed.
func raceOneKey(t *testing.T, a, b Store, md []session.Pair, now time.Time) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for round := range 100 {
		k, k0, k2 := Key(), Key(), Key()
		require.NoError(t, a.Set(ctx, "session", k0, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
		calls := []func() error{
			func() error {
				return a.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md})
			},
			func() error { return b.Delete(ctx, "session", k, now, md) },
			func() error {
				return b.Set(ctx, "session", k2, []byte("v"), time.Hour, now, session.SetOptions{OldKey: k, Remember: true, Metadata: md})
			},
			func() error {
				return a.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{OldKey: k0, Remember: true, Metadata: md})
			},
		}
		rerrs := make([]error, len(calls))
		for i, call := range calls {
			wg.Go(func() { rerrs[i] = call() })
		}
		wg.Wait()
		require.NoError(t, errors.Join(rerrs...), "round %d", round)
		listed, err := a.ReadMetadata(ctx, "session", "app", "shared-user", now)
		require.NoError(t, err)
		for _, key := range []string{k, k0, k2} {
			if _, err := b.Get(ctx, "session", key); err == nil {
				_, ok := listed[key]
				require.True(t, ok, "round %d: a readable session is not listed", round)
			}
		}
		_, err = session.RevokeAll(ctx, a, "session", "app", "shared-user", now)
		require.NoError(t, err)
	}
}

// CrossedRotations: rotations crossing each other (k1 from k2 while k2
// from k1) take the two session rows' locks in opposite orders; the
// server breaks the deadlock by rolling one transaction back, and the
// driver runs that one again: both calls succeed. deadlocks counts the
// deadlocks so far (a client tracer, or the server's counter): the test
// crosses rotations until enough have occurred, whatever the machine's
// timing.
func CrossedRotations(t *testing.T, store Store, deadlocks func() int64) {
	ctx := context.Background()
	now := time.Now()
	md := []session.Pair{{Audience: "app", Subject: "crossed"}}
	before := deadlocks()
	const wantDeadlocks, maxRounds = 3, 2000
	round := 0
	for ; round < maxRounds && deadlocks()-before < wantDeadlocks; round++ {
		k1, k2 := Key(), Key()
		for _, k := range []string{k1, k2} {
			require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			errs[0] = store.Set(ctx, "session", k1, []byte("v"), time.Hour, now, session.SetOptions{OldKey: k2, Metadata: md})
		})
		wg.Go(func() {
			<-start
			errs[1] = store.Set(ctx, "session", k2, []byte("v"), time.Hour, now, session.SetOptions{OldKey: k1, Metadata: md})
		})
		close(start)
		wg.Wait()
		require.NoError(t, errors.Join(errs...), "round %d: a deadlock victim is run again", round)
	}
	got := deadlocks() - before
	require.GreaterOrEqual(t, got, int64(wantDeadlocks),
		"%d rounds of crossed rotations provoked fewer than %d deadlocks: the case was not exercised", round, wantDeadlocks)
	t.Logf("%d deadlocks in %d rounds, every victim run again", got, round)
}
