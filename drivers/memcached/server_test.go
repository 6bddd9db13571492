package memcached_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/internal/luaindex"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

func TestExpiryOnTheWire(t *testing.T) {
	t.Run("31 days stays alive", func(t *testing.T) {
		t.Parallel()
		s := newShared(t, memcached.Config{})
		k := sessionKey()
		require.NoError(t, s.Set(t.Context(), "session", k, []byte("v"), 31*24*time.Hour, time.Now(), session.SetOptions{}))
		time.Sleep(1500 * time.Millisecond)
		got, err := s.Get(t.Context(), "session", k)
		require.NoError(t, err, "a TTL over 30 days must be sent as an absolute time, not read as 1970")
		assert.Equal(t, []byte("v"), got)
		ttl := raw(t, sharedServer(t)).TTL(s.WireKey("session", k))
		assert.InDelta(t, 31*86400, ttl, 10)
	})
	t.Run("500 ms is not forever", func(t *testing.T) {
		t.Parallel()
		s := newShared(t, memcached.Config{})
		k := sessionKey()
		require.NoError(t, s.Set(t.Context(), "session", k, []byte("v"), 500*time.Millisecond, time.Now(), session.SetOptions{}))
		ttl := raw(t, sharedServer(t)).TTL(s.WireKey("session", k))
		assert.Positive(t, ttl, "exptime 0 would mean forever")
		time.Sleep(2100 * time.Millisecond)
		_, err := s.Get(t.Context(), "session", k)
		require.ErrorIs(t, err, session.ErrNotFound)
	})
}

func TestCorruptIndexIsReportedAndRepaired(t *testing.T) {
	mc := raw(t, sharedServer(t))
	s := newShared(t, memcached.Config{})
	ctx, now := t.Context(), time.Now()
	k := sessionKey()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	require.NoError(t, s.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	ik := s.WireIndexKey("session", "a", "s")
	require.Equal(t, "STORED", mc.Append(ik, []byte(k+":not-b64!;garbage")))

	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
	assert.NotContains(t, err.Error(), k)
	assert.Contains(t, got, k, "the damage hides no well-formed entry")

	k2 := sessionKey()
	require.NoError(t, s.Set(ctx, "session", k2, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	got, err = s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err, "the write repaired the index")
	assert.Contains(t, got, k2)
	assert.Contains(t, got, k, "the repair kept the well-formed entry")
}

func TestValueLimits(t *testing.T) {
	s := newShared(t, memcached.Config{Prefix: strings.Repeat("p", 150)})
	k := strings.Repeat("k", 250-150-len("%3Asession%3A"))
	require.Len(t, s.WireKey("session", k), 250)
	v := make([]byte, memcached.DefaultMaxValueSize)
	require.NoError(t, s.Set(t.Context(), "session", k, v, time.Minute, time.Now(), session.SetOptions{}),
		"the default limit fits the default server item size, with the longest key")
	got, err := s.Get(t.Context(), "session", k)
	require.NoError(t, err)
	assert.Len(t, got, len(v))
}

// TestNoLostUpdatesAcrossStorages runs writers on several Storages (as
// several processes would: each has its own index cache) against one index,
// with rotations, deletes and enough traffic to cross the append limit.
func TestNoLostUpdatesAcrossStorages(t *testing.T) {
	prefix := uniquePrefix(t)
	mc := raw(t, sharedServer(t))
	const storages, writers, rounds = 4, 8, 12
	ss := make([]*memcached.Storage, storages)
	for i := range ss {
		ss[i] = newShared(t, memcached.Config{Prefix: prefix})
	}
	md := []session.Pair{{Audience: "a", Subject: "s"}, {Audience: "b", Subject: "s"}}
	ctx := t.Context()
	var mu sync.Mutex
	want := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, storages*writers)
	for i := range storages * writers {
		wg.Go(func() {
			s := ss[i%storages]
			cur := ""
			for r := range rounds {
				k := sessionKey()
				if err := s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: cur, Metadata: md}); err != nil {
					errs <- err
					return
				}
				cur = k
				if r == rounds-1 && i%5 == 0 {
					if err := s.Delete(ctx, "session", k, time.Now(), md); err != nil {
						errs <- err
						return
					}
					cur = ""
				}
			}
			if cur != "" {
				mu.Lock()
				want[cur] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for _, aud := range []string{"a", "b"} {
		got, err := ss[0].ReadMetadata(ctx, "session", aud, "s", time.Now())
		require.NoError(t, err)
		gotSet := map[string]bool{}
		for k := range got {
			gotSet[k] = true
		}
		assert.Equal(t, want, gotSet, "audience %s: exactly the live keys, none lost, no rotated or deleted key", aud)

		// Bounded: without compaction the item would hold every rotation's
		// entries (about 100 KB here).
		ik := ss[0].WireIndexKey("session", aud, "s")
		item, ok := mc.Get(ik)
		require.True(t, ok)
		assert.LessOrEqual(t, len(item), memcached.HeaderLen+len(want)*52+storages*2*2048)
		// It expires, but not before its live keys (TTL 1 h).
		ttl := mc.TTL(ik)
		assert.GreaterOrEqual(t, ttl, int64(3590))
		assert.LessOrEqual(t, ttl, int64(2*3600+5))
	}
}

func TestUnixSocket(t *testing.T) {
	_, path := localMemcached(t, true)
	s, err := memcached.New(memcached.Config{Socket: "unix:" + path})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	assert.Equal(t, driver.Endpoint{System: "memcached", Address: path}, s.Endpoint())
	exerciseStorage(t, s)
}

// exerciseStorage is a short smoke test of every operation.
func exerciseStorage(t *testing.T, s *memcached.Storage) {
	t.Helper()
	ctx, now := t.Context(), time.Now()
	k1, k2 := sessionKey(), sessionKey()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	require.NoError(t, s.Set(ctx, "session", k1, []byte("v1"), time.Hour, now, session.SetOptions{Metadata: md}))
	require.NoError(t, s.Set(ctx, "session", k2, []byte("v2"), time.Hour, now, session.SetOptions{OldKey: k1, Metadata: md}))
	got, err := s.Get(ctx, "session", k2)
	require.NoError(t, err)
	assert.Equal(t, []byte("v2"), got)
	list, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err)
	assert.Equal(t, []string{k2}, keysOf(list))
	require.NoError(t, s.Delete(ctx, "session", k2, now, md))
	_, err = s.Get(ctx, "session", k2)
	require.ErrorIs(t, err, session.ErrNotFound)
	require.NoError(t, s.Delete(ctx, "session", k2, now, md), "deleting a missing key succeeds")
}

func keysOf(m map[string]time.Time) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestOneServerDown(t *testing.T) {
	up := sharedServer(t)
	// Nothing listens on this loopback port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := l.Addr().String()
	require.NoError(t, l.Close())

	s, err := memcached.New(memcached.Config{Servers: []string{up, down}, Prefix: uniquePrefix(t), ConnectTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	pick, err := memcached.Ring(up, down)
	require.NoError(t, err)
	okN, failN := 0, 0
	for range 40 {
		k := sessionKey()
		err := s.Set(t.Context(), "session", k, []byte("v"), time.Minute, time.Now(), session.SetOptions{})
		if pick(s.WireKey("session", k)) == up {
			require.NoError(t, err)
			okN++
		} else {
			require.Error(t, err)
			assert.NotContains(t, err.Error(), k)
			var ne net.Error
			assert.True(t, errors.As(err, &ne), "a network error: %v", err)
			failN++
		}
	}
	assert.Positive(t, okN)
	assert.Positive(t, failN)
}

// TestIndexExpiryNeverLowered: a rewrite keeps the item's exptime (other
// processes may append relying on it), and an index whose last key left is
// kept as a header that expires by itself rather than deleted.
func TestIndexExpiryNeverLowered(t *testing.T) {
	mc := raw(t, sharedServer(t))
	s := newShared(t, memcached.Config{})
	ctx, now := t.Context(), time.Now()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	ik := s.WireIndexKey("session", "a", "s")
	long, short := sessionKey(), sessionKey()

	require.NoError(t, s.Set(ctx, "session", long, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	first := mc.TTL(ik)
	assert.GreaterOrEqual(t, first, int64(2*3600-5), "new expiry + TTL")

	s.ForgetIndexCache() // force the gets/cas path
	require.NoError(t, s.Delete(ctx, "session", long, now, md))
	s.ForgetIndexCache()
	require.NoError(t, s.Set(ctx, "session", short, []byte("v"), 10*time.Second, now, session.SetOptions{Metadata: md}))
	assert.GreaterOrEqual(t, mc.TTL(ik), first-5, "a later, shorter write does not lower the exptime")

	require.NoError(t, s.Delete(ctx, "session", short, now, md))
	item, ok := mc.Get(ik)
	require.True(t, ok, "an emptied index is not deleted")
	live, err := luaindex.Latest(item, now.Unix())
	require.NoError(t, err)
	assert.Empty(t, live)
	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err)
	assert.Empty(t, got)
}
