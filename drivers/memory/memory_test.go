package memory_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newStore returns a Store on a fake clock with no background sweeper,
// closed when the test ends.
func newStore(t testing.TB, opts ...memory.Option) (*memory.Store, *driver.ManualClock) {
	t.Helper()
	c := driver.NewManualClock(time.Unix(1700000000, 0))
	s := memory.New(append([]memory.Option{memory.WithClock(c.Now), memory.WithSweepInterval(0)}, opts...)...)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, c
}

func key(i int) string { return fmt.Sprintf("%043d", i) }

var alice = []session.Pair{{Audience: "default", Subject: "alice"}}

func TestValuesAreCopied(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)

	buf := []byte("first")
	require.NoError(t, s.Set(ctx, "session", key(1), buf, time.Minute, c.Now(), session.SetOptions{}))
	copy(buf, "XXXXX") // the caller reuses its buffer

	got, err := s.Get(ctx, "session", key(1))
	require.NoError(t, err)
	assert.Equal(t, []byte("first"), got)

	got[0] = 'Y' // the caller scribbles on what it got
	again, err := s.Get(ctx, "session", key(1))
	require.NoError(t, err)
	assert.Equal(t, []byte("first"), again)
}

func TestEmptyValueIsAValue(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	require.NoError(t, s.Set(ctx, "session", key(1), nil, time.Minute, c.Now(), session.SetOptions{}))
	got, err := s.Get(ctx, "session", key(1))
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func TestNamesAreSeparate(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("s"), time.Minute, c.Now(), session.SetOptions{}))
	require.NoError(t, s.Set(ctx, "remember", key(1), []byte("r"), time.Minute, c.Now(), session.SetOptions{}))
	// ':' is refused in names and keys, as every driver refuses it
	// (contract section 3), so that no two inputs share an item.
	require.ErrorIs(t, s.Set(ctx, "a:b", "c", []byte("1"), time.Minute, c.Now(), session.SetOptions{}), session.ErrInvalidArgument)
	_, err := s.Get(ctx, "a", "b:c")
	require.ErrorIs(t, err, session.ErrInvalidArgument)

	for name, want := range map[string]string{"session": "s", "remember": "r"} {
		got, err := s.Get(ctx, name, key(1))
		require.NoError(t, err)
		assert.Equal(t, want, string(got), name)
	}
	require.NoError(t, s.Delete(ctx, "session", key(1), c.Now(), nil))
	_, err = s.Get(ctx, "session", key(1))
	require.ErrorIs(t, err, session.ErrNotFound)
	got, err := s.Get(ctx, "remember", key(1))
	require.NoError(t, err)
	assert.Equal(t, "r", string(got))
}

func TestExpiryFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("v"), 1500*time.Millisecond, c.Now(), session.SetOptions{}))

	c.Advance(1499 * time.Millisecond)
	_, err := s.Get(ctx, "session", key(1))
	require.NoError(t, err, "alive until its TTL has passed")
	assert.Equal(t, 1, s.Len())

	c.Advance(time.Millisecond)
	_, err = s.Get(ctx, "session", key(1))
	require.ErrorIs(t, err, session.ErrNotFound)
	assert.Equal(t, 0, s.Len(), "a read of an expired session frees it")
}

func TestOverwriteReplacesTTL(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("a"), time.Hour, c.Now(), session.SetOptions{}))
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("b"), time.Second, c.Now(), session.SetOptions{}))
	assert.Equal(t, 1, s.Len())
	c.Advance(time.Second)
	_, err := s.Get(ctx, "session", key(1))
	require.ErrorIs(t, err, session.ErrNotFound, "the second Set's shorter TTL applies")
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		oldTTL    time.Duration // 0: the old key does not exist
		opts      session.SetOptions
		aliveFor  time.Duration // how long the old key stays readable after the rotation
		oldExists bool
	}{
		{name: "stale ttl shortens", oldTTL: time.Hour, opts: session.SetOptions{StaleTTL: 5 * time.Second}, aliveFor: 5 * time.Second, oldExists: true},
		{name: "default stale ttl", oldTTL: time.Hour, opts: session.SetOptions{}, aliveFor: session.DefaultStaleTTL, oldExists: true},
		{name: "never extends", oldTTL: 2 * time.Second, opts: session.SetOptions{StaleTTL: 10 * time.Second}, aliveFor: 2 * time.Second, oldExists: true},
		{name: "remember deletes at once", oldTTL: time.Hour, opts: session.SetOptions{Remember: true}},
		{name: "missing old key is not created", opts: session.SetOptions{StaleTTL: 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newStore(t)
			old, nw := key(1), key(2)
			if tt.oldTTL > 0 {
				require.NoError(t, s.Set(ctx, "session", old, []byte("old"), tt.oldTTL, c.Now(), session.SetOptions{}))
			}
			opts := tt.opts
			opts.OldKey = old
			require.NoError(t, s.Set(ctx, "session", nw, []byte("new"), time.Hour, c.Now(), opts))

			if tt.oldExists {
				c.Advance(tt.aliveFor - time.Nanosecond)
				got, err := s.Get(ctx, "session", old)
				require.NoError(t, err)
				assert.Equal(t, "old", string(got))
				c.Advance(time.Nanosecond)
			}
			_, err := s.Get(ctx, "session", old)
			require.ErrorIs(t, err, session.ErrNotFound)
			got, err := s.Get(ctx, "session", nw)
			require.NoError(t, err)
			assert.Equal(t, "new", string(got))
			assert.Equal(t, 1, s.Len())
		})
	}
}

func TestRotationMovesTheIndexEntry(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	now := c.Now()
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("v"), time.Minute, now, session.SetOptions{Metadata: alice}))
	require.NoError(t, s.Set(ctx, "session", key(2), []byte("v"), time.Hour, now, session.SetOptions{OldKey: key(1), Metadata: alice}))

	live, err := s.ReadMetadata(ctx, "session", "default", "alice", now)
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{key(2): now.Add(time.Hour)}, live)
}

func TestIndexExpiryUsesTheCallersNow(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	callerNow := time.Unix(2000000000, 300_000_000) // not the Store's clock
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("v"), 1500*time.Millisecond, callerNow, session.SetOptions{Metadata: alice}))

	live, err := s.ReadMetadata(ctx, "session", "default", "alice", callerNow)
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{key(1): time.Unix(2000000002, 0)}, live, "now+ttl, fraction rounded up")

	live, err = s.ReadMetadata(ctx, "session", "default", "alice", time.Unix(2000000002, 0))
	require.NoError(t, err)
	assert.Empty(t, live, "an entry expiring exactly at now is gone")

	_, err = s.Get(ctx, "session", key(1))
	require.NoError(t, err, "the item's own expiry follows the Store's clock")
	c.Advance(1500 * time.Millisecond)
	_, err = s.Get(ctx, "session", key(1))
	require.ErrorIs(t, err, session.ErrNotFound)
}

func TestDeleteWithMetadata(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	now := c.Now()
	both := append([]session.Pair{{Audience: "admin", Subject: "alice"}}, alice...)
	for i := 1; i <= 2; i++ {
		require.NoError(t, s.Set(ctx, "session", key(i), []byte("v"), time.Minute, now, session.SetOptions{Metadata: both}))
	}
	require.NoError(t, s.Delete(ctx, "session", key(1), now, both))
	require.NoError(t, s.Delete(ctx, "session", key(1), now, both), "deleting a missing key succeeds")
	require.NoError(t, s.Delete(ctx, "session", key(3), now, nil), "deleting a never-written key succeeds")
	for _, p := range both {
		live, err := s.ReadMetadata(ctx, "session", p.Audience, p.Subject, now)
		require.NoError(t, err)
		assert.Equal(t, map[string]time.Time{key(2): now.Add(time.Minute)}, live, p.Audience)
	}

	require.NoError(t, s.Delete(ctx, "session", key(2), now, both))
	assert.Equal(t, 0, memory.Indexes(s), "an emptied index is dropped")
	assert.Equal(t, 0, s.Len())
}

func TestMaxEntries(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t, memory.WithMaxEntries(2))
	now := c.Now()
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("v"), time.Minute, now, session.SetOptions{}))
	require.NoError(t, s.Set(ctx, "session", key(2), []byte("v"), time.Hour, now, session.SetOptions{}))

	err := s.Set(ctx, "session", key(3), []byte("v"), time.Hour, now, session.SetOptions{Metadata: alice})
	require.ErrorIs(t, err, session.ErrFull)
	assert.NotContains(t, err.Error(), key(3))
	_, err = s.Get(ctx, "session", key(3))
	require.ErrorIs(t, err, session.ErrNotFound, "a refused Set writes nothing")
	live, err := s.ReadMetadata(ctx, "session", "default", "alice", now)
	require.NoError(t, err)
	assert.Empty(t, live, "a refused Set indexes nothing")

	require.NoError(t, s.Set(ctx, "session", key(2), []byte("w"), time.Hour, now, session.SetOptions{}), "overwriting needs no room")
	for i := 1; i <= 2; i++ {
		_, err := s.Get(ctx, "session", key(i))
		require.NoError(t, err, "live sessions are never evicted")
	}

	c.Advance(time.Minute) // key(1) expires but nothing has read it
	assert.Equal(t, 2, s.Len())
	require.NoError(t, s.Set(ctx, "session", key(3), []byte("v"), time.Hour, c.Now(), session.SetOptions{}), "a full Store sweeps expired sessions first")
	assert.Equal(t, 2, s.Len())

	require.NoError(t, s.Delete(ctx, "session", key(2), c.Now(), nil))
	require.NoError(t, s.Set(ctx, "session", key(4), []byte("v"), time.Hour, c.Now(), session.SetOptions{}), "a delete makes room")
	require.ErrorIs(t, s.Set(ctx, "session", key(5), []byte("v"), time.Hour, c.Now(), session.SetOptions{}), session.ErrFull)

	// A rotation that deletes the old key at once fills its own room only
	// after storing the new one, so at the cap it is refused.
	err = s.Set(ctx, "session", key(5), []byte("v"), time.Hour, c.Now(), session.SetOptions{OldKey: key(4), Remember: true})
	require.ErrorIs(t, err, session.ErrFull)
	_, err = s.Get(ctx, "session", key(4))
	require.NoError(t, err, "a refused rotation leaves the old session alone")
}

func TestMaxEntriesUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	const limit = 100
	s, c := newStore(t, memory.WithMaxEntries(limit))
	var stored, full atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				err := s.Set(ctx, "session", key(g*1000+i), []byte("v"), time.Hour, c.Now(), session.SetOptions{})
				switch {
				case err == nil:
					stored.Add(1)
				case errors.Is(err, session.ErrFull):
					full.Add(1)
				default:
					t.Errorf("Set: %v", err)
				}
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, limit, stored.Load())
	assert.EqualValues(t, 8*50-limit, full.Load())
	assert.Equal(t, limit, s.Len())
}

func TestSweepFreesExpiredEntries(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	now := c.Now()
	for i := range 100 {
		ttl := time.Minute
		if i%2 == 0 {
			ttl = time.Hour
		}
		require.NoError(t, s.Set(ctx, "session", key(i), []byte("v"), ttl, now, session.SetOptions{Metadata: alice}))
	}
	assert.Equal(t, 0, memory.Sweep(s), "nothing has expired yet")
	c.Advance(time.Minute)
	assert.Equal(t, 50, memory.Sweep(s))
	assert.Equal(t, 50, s.Len())
	entries := memory.IndexEntries(s, "session", "default", "alice")
	assert.Equal(t, 50, entries, "dead index entries are freed too")

	c.Advance(time.Hour)
	assert.Equal(t, 50, memory.Sweep(s))
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, 0, memory.Indexes(s))
}

func TestBackgroundSweeper(t *testing.T) {
	ctx := context.Background()
	c := driver.NewManualClock(time.Unix(1700000000, 0))
	s := memory.New(memory.WithClock(c.Now), memory.WithSweepInterval(time.Millisecond))
	defer s.Close()
	for i := range 10 {
		require.NoError(t, s.Set(ctx, "session", key(i), []byte("v"), time.Second, c.Now(), session.SetOptions{}))
	}
	c.Advance(time.Second)
	// Polling, not timing: the sweeper runs every millisecond.
	require.Eventually(t, func() bool { return s.Len() == 0 }, 10*time.Second, time.Millisecond)
}

func TestIndexStaysBounded(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	prev := ""
	for i := range 10_000 {
		k := key(i)
		require.NoError(t, s.Set(ctx, "session", k, []byte("v"), time.Hour, c.Now(), session.SetOptions{OldKey: prev, Metadata: alice}))
		prev = k
	}
	entries := memory.IndexEntries(s, "session", "default", "alice")
	assert.Equal(t, 1, entries)
	assert.LessOrEqual(t, s.Len(), 10_000)

	// Sessions that expire without being rotated or deleted are pruned by
	// later writes, so the index stays within twice its live size.
	for i := range 1000 {
		c.Advance(time.Second)
		require.NoError(t, s.Set(ctx, "session", key(100_000+i), []byte("v"), time.Second, c.Now(), session.SetOptions{Metadata: alice}))
	}
	entries = memory.IndexEntries(s, "session", "default", "alice")
	assert.LessOrEqual(t, entries, 16)
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	s := memory.New(memory.WithSweepInterval(time.Millisecond))
	now := time.Now()
	require.NoError(t, s.Set(ctx, "session", key(1), []byte("v"), time.Hour, now, session.SetOptions{}))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	require.ErrorIs(t, s.Set(ctx, "session", key(2), []byte("v"), time.Hour, now, session.SetOptions{}), session.ErrClosed)
	_, err := s.Get(ctx, "session", key(1))
	require.ErrorIs(t, err, session.ErrClosed)
	require.ErrorIs(t, s.Delete(ctx, "session", key(1), now, nil), session.ErrClosed)
	_, err = s.ReadMetadata(ctx, "session", "default", "alice", now)
	require.ErrorIs(t, err, session.ErrClosed)
	// goleak in TestMain checks that the sweeper is gone.
}

func TestZeroAndNilStoreAreClosed(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	for name, s := range map[string]*memory.Store{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, s.Set(ctx, "session", key(1), []byte("v"), time.Hour, now, session.SetOptions{}), session.ErrClosed)
			_, err := s.Get(ctx, "session", key(1))
			require.ErrorIs(t, err, session.ErrClosed)
			require.ErrorIs(t, s.Delete(ctx, "session", key(1), now, nil), session.ErrClosed)
			_, err = s.ReadMetadata(ctx, "session", "default", "alice", now)
			require.ErrorIs(t, err, session.ErrClosed)
			assert.Zero(t, s.Len())
			require.NoError(t, s.Close())
		})
	}
}

// TestDroppedStoreStopsItsSweeper: a Store the program drops without Close
// leaves no goroutine behind once it is garbage collected.
func TestDroppedStoreStopsItsSweeper(t *testing.T) {
	before := goleak.IgnoreCurrent()
	func() {
		s := memory.New(memory.WithSweepInterval(time.Millisecond))
		require.NoError(t, s.Set(context.Background(), "session", key(1), []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
	}()
	require.Eventually(t, func() bool {
		runtime.GC()
		return goleak.Find(before) == nil
	}, 10*time.Second, 10*time.Millisecond, "the sweeper of a dropped Store must stop")
}

func TestCloseConcurrently(t *testing.T) {
	s := memory.New(memory.WithSweepInterval(time.Millisecond))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { assert.NoError(t, s.Close()) })
	}
	wg.Wait()
}

func TestContextAndArguments(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ctx := context.Background()
	s, c := newStore(t, memory.WithMaxEntries(10))
	now := c.Now()

	err := s.Set(cancelled, "session", key(1), []byte("v"), time.Hour, now, session.SetOptions{})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Get(cancelled, "session", key(1))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, s.Delete(cancelled, "session", key(1), now, nil), context.Canceled)
	_, err = s.ReadMetadata(cancelled, "session", "a", "s", now)
	require.ErrorIs(t, err, context.Canceled)

	secret := "secret:key" // not indexable
	bad := []struct {
		name string
		err  error
		arg  string
	}{
		{"ttl", s.Set(ctx, "session", key(1), nil, 0, now, session.SetOptions{}), "ttl"},
		{"name", s.Set(ctx, "", key(1), nil, time.Hour, now, session.SetOptions{}), "name"},
		{"key", s.Set(ctx, "session", secret, nil, time.Hour, now, session.SetOptions{Metadata: alice}), "key"},
		{"subject", s.Set(ctx, "session", key(1), nil, time.Hour, now, session.SetOptions{Metadata: []session.Pair{{Audience: "a"}}}), "metadata[0].Subject"},
		{"stale", s.Set(ctx, "session", key(1), nil, time.Hour, now, session.SetOptions{OldKey: key(2), StaleTTL: -1}), "opts.StaleTTL"},
		{"get", func() error { _, err := s.Get(ctx, "session", ""); return err }(), "key"},
		{"delete", s.Delete(ctx, "session", secret, now, alice), "key"},
		{"read", func() error { _, err := s.ReadMetadata(ctx, "session", "", "s", now); return err }(), "audience"},
	}
	for _, b := range bad {
		require.ErrorIs(t, b.err, session.ErrInvalidArgument, b.name)
		var ae *session.ArgumentError
		require.ErrorAs(t, b.err, &ae, b.name)
		assert.Equal(t, b.arg, ae.Arg, b.name)
		assert.NotContains(t, b.err.Error(), secret, b.name)
	}
	assert.Equal(t, 0, s.Len(), "bad calls write nothing")
	assert.Equal(t, 0, memory.Indexes(s))
}

func TestNoLostIndexUpdates(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	now := c.Now()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			assert.NoError(t, s.Set(ctx, "session", key(i), []byte("v"), time.Hour, now, session.SetOptions{Metadata: alice}))
		})
	}
	wg.Wait()
	live, err := s.ReadMetadata(ctx, "session", "default", "alice", now)
	require.NoError(t, err)
	assert.Len(t, live, 50)
}

// TestParallelMix runs every operation at once for the race detector.
func TestParallelMix(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t, memory.WithMaxEntries(64))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			prev := ""
			for i := range 500 {
				k := key(g*10_000 + i%80)
				md := []session.Pair{{Audience: "a", Subject: fmt.Sprint(i % 3)}}
				err := s.Set(ctx, "session", k, []byte(strings.Repeat("v", i%7)), time.Duration(1+i%5)*time.Second, c.Now(), session.SetOptions{OldKey: prev, Metadata: md})
				if err != nil && !errors.Is(err, session.ErrFull) {
					t.Error(err)
				}
				prev = k
				if _, err := s.Get(ctx, "session", k); err != nil && !errors.Is(err, session.ErrNotFound) {
					t.Error(err)
				}
				if _, err := s.ReadMetadata(ctx, "session", "a", fmt.Sprint(i%3), c.Now()); err != nil {
					t.Error(err)
				}
				if i%10 == 0 {
					assert.NoError(t, s.Delete(ctx, "session", k, c.Now(), md))
					prev = ""
				}
				if i%50 == 0 {
					memory.Sweep(s)
					c.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, s.Len(), 64)
}
