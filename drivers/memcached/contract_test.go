package memcached_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/internal/luaindex"
	"github.com/sessionstore/sessionstore/session"
)

// The findings of contract v2 (rules 2.17–2.21), each against a real
// memcached.

// Finding 1, contract 2.20: no session key reaches an index item.
func TestNamesNeverCollide(t *testing.T) {
	mc := raw(t, sharedServer(t))
	// No prefix, so that the wire names are exactly Lua's defaults.
	s, err := memcached.New(memcached.Config{Servers: []string{sharedServer(t)}, ReadTimeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx, now := t.Context(), time.Now()

	kj := sessionKey()
	require.NoError(t, s.Set(ctx, "session", kj, []byte("v"), time.Hour, now,
		session.SetOptions{Metadata: []session.Pair{{Audience: "default", Subject: "john"}}}))
	assert.True(t, mc.Has("session%3AZGVmYXVsdA%3Aam9obg"), "the index of (default, john) is Lua's session:ZGVmYXVsdA:am9obg, escaped")

	alice := []session.Pair{{Audience: "default", Subject: "alice"}}
	ka := sessionKey()
	require.NoError(t, s.Set(ctx, "session", ka, []byte("v"), time.Hour, now, session.SetOptions{Metadata: alice}))
	ik := s.WireIndexKey("session", "default", "alice")
	before, ok := mc.Get(ik)
	require.True(t, ok)

	_, err = s.Get(ctx, "session", "default:alice")
	require.ErrorIs(t, err, session.ErrInvalidArgument, "Get of a key with ':' must not read alice's index")
	err = s.Set(ctx, "session", "default:alice", []byte(sessionKey()+":EP9TZQA;"), time.Hour, now, session.SetOptions{})
	require.ErrorIs(t, err, session.ErrInvalidArgument, "Set of a key with ':' must not overwrite alice's index")
	require.ErrorIs(t, s.Delete(ctx, "session", "default:alice", now, nil), session.ErrInvalidArgument)
	err = s.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, now, session.SetOptions{OldKey: "default:alice"})
	require.ErrorIs(t, err, session.ErrInvalidArgument, "an OldKey with ':' is refused too")
	err = s.Set(ctx, "session:default", "alice", []byte("v"), time.Hour, now, session.SetOptions{})
	require.ErrorIs(t, err, session.ErrInvalidArgument, "a name with ':' is refused")

	after, ok := mc.Get(ik)
	require.True(t, ok)
	assert.Equal(t, before, after, "alice's index is untouched")
	got, err := s.ReadMetadata(ctx, "session", "default", "alice", now)
	require.NoError(t, err)
	assert.Equal(t, []string{ka}, keysOf(got))

	// Pairs whose joined parts were equal in version 1 have two indexes.
	k1, k2 := sessionKey(), sessionKey()
	p1 := []session.Pair{{Audience: "a:b", Subject: "c"}}
	p2 := []session.Pair{{Audience: "a", Subject: "b:c"}}
	require.NoError(t, s.Set(ctx, "session", k1, []byte("v"), time.Hour, now, session.SetOptions{Metadata: p1}))
	require.NoError(t, s.Set(ctx, "session", k2, []byte("v"), time.Hour, now, session.SetOptions{Metadata: p2}))
	assert.NotEqual(t, s.WireIndexKey("session", "a:b", "c"), s.WireIndexKey("session", "a", "b:c"))
	got, err = s.ReadMetadata(ctx, "session", "a:b", "c", now)
	require.NoError(t, err)
	assert.Equal(t, []string{k1}, keysOf(got))
	got, err = s.ReadMetadata(ctx, "session", "a", "b:c", now)
	require.NoError(t, err)
	assert.Equal(t, []string{k2}, keysOf(got))
}

// Finding 3, contract 2.19: a Storage has the index cached, another writer
// damages the item, the next Set appends without reading. Nothing is
// hidden, and the write after the read that saw the damage repairs the
// item without dropping a live entry.
func TestDamagedIndexWithWarmCache(t *testing.T) {
	mc := raw(t, sharedServer(t))
	s := newShared(t, memcached.Config{})
	ctx, now := t.Context(), time.Now()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	ik := s.WireIndexKey("session", "a", "s")
	k1, k2, k3, k4 := sessionKey(), sessionKey(), sessionKey(), sessionKey()
	set := func(k string) {
		t.Helper()
		require.NoError(t, s.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	}
	set(k1)
	set(k2)
	// A torn write of another writer: bytes no parser reads, no closing ';'.
	require.Equal(t, "STORED", mc.Append(ik, []byte("\xff\xfetorn:EP9")))

	trips := s.RoundTrips()
	set(k3)
	assert.Equal(t, uint64(2), s.RoundTrips()-trips, "the cached index takes a blind append (set, append)")

	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
	assert.ElementsMatch(t, []string{k1, k2, k3}, keysOf(got), "the entry appended after the damage is listed too")

	trips = s.RoundTrips()
	set(k4)
	assert.Equal(t, uint64(3), s.RoundTrips()-trips, "the read forgot the cached index: set, gets, cas")
	got, err = s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err, "the write repaired the index")
	assert.ElementsMatch(t, []string{k1, k2, k3, k4}, keysOf(got), "the repair dropped no live entry")

	item, ok := mc.Get(ik)
	require.True(t, ok)
	assert.Len(t, item, memcached.HeaderLen+4*52, "rewritten whole: header and one entry per live key")
	live, err := luaindex.Latest(item, now.Unix())
	require.NoError(t, err, "Lua reads the repaired item")
	assert.Len(t, live, 4)

	n, err := session.RevokeAll(ctx, s, "session", "a", "s", now)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
}

// Finding 4, contract 2.18: with a now that has a fraction of a second,
// the listed expiry is rounded up, and the session item does not outlive
// it.
func TestExpiryFromFractionalNow(t *testing.T) {
	mc := raw(t, sharedServer(t))
	s := newShared(t, memcached.Config{})
	ctx := t.Context()
	now := time.Now()
	if now.Nanosecond() == 0 {
		now = now.Add(time.Millisecond)
	}
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	for _, ttl := range []time.Duration{10 * time.Second, 31 * 24 * time.Hour} {
		k := sessionKey()
		require.NoError(t, s.Set(ctx, "session", k, []byte("v"), ttl, now, session.SetOptions{Metadata: md}))
		got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
		require.NoError(t, err)
		want := now.Unix() + int64(ttl/time.Second) + 1
		require.Contains(t, got, k)
		assert.Equal(t, want, got[k].Unix(), "ttl %v: expiry is now+ttl rounded up, the fraction of now counted", ttl)
		assert.False(t, got[k].Before(now.Add(ttl)), "ttl %v: never listed as ending before the session does", ttl)
		// memcached counts remaining time on its own clock, which ticks
		// once a second: the item may end up to that second later (the
		// granularity contract 2.18 allows), never more.
		left, listed := mc.TTL(s.WireKey("session", k)), want-time.Now().Unix()
		assert.LessOrEqual(t, left, listed+1, "ttl %v: the session item does not outlive its listed expiry", ttl)
		assert.GreaterOrEqual(t, left, listed-2, "ttl %v", ttl)
	}
}

// Finding 5, contract 2.21: MaxValueSize above the server's item size. The
// driver learns the server's limit and refuses the value before sending
// it, naming the real limit, and the previous value stays.
func TestOversizedOverwriteKeepsOld(t *testing.T) {
	srv := memcachedtest.Start(t, memcachedtest.WithArgs("-I", "1m"))
	mc := raw(t, srv.Addr)
	s, err := memcached.New(memcached.Config{Servers: []string{srv.Addr}, MaxValueSize: 2 << 20})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx, now := t.Context(), time.Now()
	k := sessionKey()
	require.NoError(t, s.Set(ctx, "session", k, []byte("v1"), time.Hour, now, session.SetOptions{}))

	sets, trips := mc.Stats()["cmd_set"], s.RoundTrips()
	err = s.Set(ctx, "session", k, bytes.Repeat([]byte("x"), 3<<19), time.Hour, now, session.SetOptions{})
	require.ErrorIs(t, err, session.ErrTooLarge)
	var ae *session.ArgumentError
	require.ErrorAs(t, err, &ae)
	limit := 1<<20 - len(s.WireKey("session", k)) - memcached.ItemOverhead
	assert.Equal(t, "value", ae.Arg)
	assert.Equal(t, limit, ae.Limit, "the error names the server's limit for this key, not MaxValueSize")
	assert.NotContains(t, err.Error(), k)
	assert.Equal(t, sets, mc.Stats()["cmd_set"], "nothing was sent")
	assert.Equal(t, uint64(1), s.RoundTrips()-trips, "one stats settings, to learn the limit")
	got, err := s.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, []byte("v1"), got, "the previous value is intact")

	// The learned limit is the server's: exactly that much is stored, one
	// byte more is what memcached itself refuses.
	trips = s.RoundTrips()
	require.NoError(t, s.Set(ctx, "session", k, make([]byte, limit), time.Hour, now, session.SetOptions{}))
	assert.Equal(t, uint64(1), s.RoundTrips()-trips, "the limit is learned once")
	got, err = s.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Len(t, got, limit)
	other := s.WireKey("session", sessionKey())
	require.Len(t, other, len(s.WireKey("session", k)))
	assert.Equal(t, "SERVER_ERROR object too large for cache", mc.Set(other, make([]byte, limit+1), 60))
	err = s.Set(ctx, "session", k, make([]byte, limit+1), time.Hour, now, session.SetOptions{})
	require.ErrorIs(t, err, session.ErrTooLarge)
	got, err = s.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Len(t, got, limit, "still the previous value, and the connection still works")
}

// Contract 2.17: a Set whose index update fails leaves no readable session,
// and a Delete whose index update fails leaves the session listed and
// readable. The index and the sessions live on two servers; the index's is
// stopped.
func TestIndexServerDown(t *testing.T) {
	checkLeaks(t)
	idxSrv, sessSrv := memcachedtest.Start(t), memcachedtest.Start(t)
	// One connection per server: after a failure on the stopped server,
	// the next request dials it afresh and is refused before it is sent.
	cfg := faultTimeouts
	cfg.Prefix, cfg.Servers, cfg.PoolSize = "split", []string{idxSrv.Addr, sessSrv.Addr}, 1
	s, err := memcached.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	pick, err := memcached.Ring(idxSrv.Addr, sessSrv.Addr)
	require.NoError(t, err)
	ctx, now := t.Context(), time.Now()

	subject := ""
	for i := 0; subject == ""; i++ {
		if sub := "user" + strings.Repeat("x", i); pick(s.WireIndexKey("session", "app", sub)) == idxSrv.Addr {
			subject = sub
		}
	}
	md := []session.Pair{{Audience: "app", Subject: subject}}
	keyOn := func(addr string) string {
		for {
			if k := sessionKey(); pick(s.WireKey("session", k)) == addr {
				return k
			}
		}
	}
	kept, lost := keyOn(sessSrv.Addr), keyOn(sessSrv.Addr)
	require.NoError(t, s.Set(ctx, "session", kept, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))

	require.NoError(t, idxSrv.Stop(ctx))
	err = s.Set(ctx, "session", lost, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md})
	assertCleanFailure(t, err, lost, "")
	assert.Contains(t, err.Error(), "session removed")
	_, err = s.Get(ctx, "session", lost)
	require.ErrorIs(t, err, session.ErrNotFound, "a session its index does not list is not left readable")

	err = s.Delete(ctx, "session", kept, now, md)
	assertCleanFailure(t, err, kept, "")
	assert.Contains(t, err.Error(), "session kept")
	got, err := s.Get(ctx, "session", kept)
	require.NoError(t, err, "a Delete refused before it could unlist the session leaves it in place")
	assert.Equal(t, []byte("v"), got)

	require.NoError(t, idxSrv.Start(ctx)) // restarted empty
	require.NoError(t, s.Delete(ctx, "session", kept, now, md))
	_, err = s.Get(ctx, "session", kept)
	require.ErrorIs(t, err, session.ErrNotFound)
}
