package sqlstoretest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// RoundTrips: every operation is one round trip, a rotation with its
// index rows included and a Set with more pairs than the drivers render in
// advance (lua-resty-session: one query per operation too, its statements
// joined by ";"). store has one connection, whose round trips trips
// counts (tripcount.Dial). prepared runs every operation once before
// counting, for a client that prepares each statement on first use (pgx);
// without it the first run counts too.
func RoundTrips(t *testing.T, store Store, trips *atomic.Int64, prepared bool) {
	// A context that can end: a driver that watches contexts (KILL QUERY)
	// is armed, as in production.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := time.Now()
	md := []session.Pair{{Audience: "a", Subject: "x"}, {Audience: "b", Subject: "y"}}
	old0 := Key()
	require.NoError(t, store.Set(ctx, "session", old0, []byte("v"), time.Hour, now, session.SetOptions{}))
	// each op may use old, a session stored (unmeasured) before it
	ops := []struct {
		name string
		run  func(old string) error
	}{
		{"Get", func(string) error { _, err := store.Get(ctx, "session", old0); return err }},
		{"Set", func(string) error {
			return store.Set(ctx, "session", Key(), []byte("v"), time.Hour, now, session.SetOptions{})
		}},
		{"Set with 2 pairs", func(string) error {
			return store.Set(ctx, "session", Key(), []byte("v"), time.Hour, now, session.SetOptions{Metadata: md})
		}},
		{"rotation with 1 pair", func(old string) error {
			return store.Set(ctx, "session", Key(), []byte("v"), time.Hour, now, session.SetOptions{OldKey: old, Metadata: md[:1]})
		}},
		{"rotation with Remember", func(old string) error {
			return store.Set(ctx, "session", Key(), []byte("v"), time.Hour, now, session.SetOptions{OldKey: old, Remember: true, Metadata: md[:1]})
		}},
		{"Set with 6 pairs (rendered per call)", func(string) error {
			return store.Set(ctx, "session", Key(), []byte("v"), time.Hour, now, session.SetOptions{Metadata: append(append(md, md...), md...)})
		}},
		{"Delete", func(old string) error { return store.Delete(ctx, "session", old, now, md) }},
		{"ReadMetadata", func(string) error { _, err := store.ReadMetadata(ctx, "session", "a", "x", now); return err }},
	}
	measure := func(name string, run func(string) error) int64 {
		old := Key()
		require.NoError(t, store.Set(ctx, "session", old, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md[:1]}))
		before := trips.Load()
		require.NoError(t, run(old), name)
		return trips.Load() - before
	}
	if prepared {
		for _, op := range ops {
			measure(op.name, op.run) // warm up: the client prepares a statement once per connection
		}
	}
	for _, op := range ops {
		assert.Equal(t, int64(1), measure(op.name, op.run), op.name)
	}
}
