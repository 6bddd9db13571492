package memcached_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/internal/luaindex"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/index"
)

func entry(key string, exp int64) string { return string(index.AppendEntry(nil, key, exp)) }

// rawLine sends one text-protocol command to the memcached at addr and
// returns the first line of the answer.
func rawLine(t *testing.T, addr, command string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(2*time.Second)))
	_, err = fmt.Fprintf(c, "%s\r\n", command)
	require.NoError(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	return line
}

// itemTTL returns the remaining TTL memcached reports for a wire key (meta
// get with the t flag): -1 for no expiry; it fails the test on a miss.
func itemTTL(t *testing.T, addr, wireKey string) int64 {
	t.Helper()
	line := rawLine(t, addr, "mg "+wireKey+" t")
	f := strings.Fields(line)
	require.Equal(t, "HD", f[0], "item missing: %q", line)
	for _, fl := range f[1:] {
		if v, ok := strings.CutPrefix(fl, "t"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no TTL in %q", line)
	return 0
}

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
		ttl := itemTTL(t, sharedServer(t), s.WireKey("session", k))
		assert.InDelta(t, 31*86400, ttl, 10)
	})
	t.Run("500 ms is not forever", func(t *testing.T) {
		t.Parallel()
		s := newShared(t, memcached.Config{})
		k := sessionKey()
		require.NoError(t, s.Set(t.Context(), "session", k, []byte("v"), 500*time.Millisecond, time.Now(), session.SetOptions{}))
		ttl := itemTTL(t, sharedServer(t), s.WireKey("session", k))
		assert.Positive(t, ttl, "exptime 0 would mean forever")
		time.Sleep(2100 * time.Millisecond)
		_, err := s.Get(t.Context(), "session", k)
		require.ErrorIs(t, err, session.ErrNotFound)
	})
}

func TestLuaWireFormat(t *testing.T) {
	addr := sharedServer(t)
	raw := rawClient(addr)
	t.Cleanup(func() { _ = raw.Close() })
	prefix := uniquePrefix(t)
	s := newShared(t, memcached.Config{Prefix: prefix})
	ctx := t.Context()
	now := time.Now()
	nowUnix := now.Unix()
	k1, k2 := sessionKey(), sessionKey()
	md := []session.Pair{{Audience: "ZGVmYXVsdA", Subject: "am9obg"}}

	require.NoError(t, s.Set(ctx, "session", k1, []byte("v1"), time.Minute, now, session.SetOptions{Metadata: md}))
	it, err := raw.Get(prefix + "%3Asession%3A" + k1)
	require.NoError(t, err, "the session item is stored under the ngx.escape_uri-escaped key")
	assert.Equal(t, []byte("v1"), it.Value)

	ik := prefix + "%3Asession%3AZGVmYXVsdA%3Aam9obg"
	it, err = raw.Get(ik)
	require.NoError(t, err, "the index item is stored under the escaped index key")
	require.Greater(t, len(it.Value), memcached.HeaderLen)
	body := it.Value[memcached.HeaderLen:]
	assert.Equal(t, entry(k1, nowUnix+60), string(body))
	assert.Len(t, body, 52, "one live entry is 52 bytes, as in Lua")

	// A rotation appends the new entry and the old key's marker.
	require.NoError(t, s.Set(ctx, "session", k2, []byte("v2"), time.Minute, now, session.SetOptions{OldKey: k1, Metadata: md}))
	it, err = raw.Get(ik)
	require.NoError(t, err)
	body = it.Value[memcached.HeaderLen:]
	assert.Equal(t, entry(k1, nowUnix+60)+entry(k2, nowUnix+60)+k1+";", string(body))

	// Lua's fixed-width parser reads the whole item, header included.
	live, err := luaindex.Latest(it.Value, nowUnix)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{k2: nowUnix + 60}, live)

	// The index item has an expiry: at least the session's, at most twice.
	ttl := itemTTL(t, addr, ik)
	assert.GreaterOrEqual(t, ttl, int64(58))
	assert.LessOrEqual(t, ttl, int64(121))

	// Spaces and other bytes the text protocol cannot carry are escaped.
	require.NoError(t, s.Set(ctx, "session", "a key\r\n", []byte("v"), time.Minute, now, session.SetOptions{}))
	it, err = raw.Get(prefix + "%3Asession%3Aa%20key%0D%0A")
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), it.Value)
}

func TestLuaWrittenIndex(t *testing.T) {
	addr := sharedServer(t)
	raw := rawClient(addr)
	t.Cleanup(func() { _ = raw.Close() })
	s := newShared(t, memcached.Config{})
	ctx := t.Context()
	now := time.Now()
	nowUnix := now.Unix()
	k1, k2, k3 := sessionKey(), sessionKey(), sessionKey()
	md := []session.Pair{{Audience: "YQ", Subject: "cw"}}
	ik := s.WireIndexKey("session", "YQ", "cw")

	// Byte for byte what lua-resty-session writes: add, appends, no expiry.
	luaItem := entry(k1, nowUnix+60) + entry(k2, nowUnix+60) + entry(k3, nowUnix-1) + k1 + ";"
	require.NoError(t, raw.Set(&memcache.Item{Key: ik, Value: []byte(luaItem)}))
	got, err := s.ReadMetadata(ctx, "session", "YQ", "cw", now)
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{k2: time.Unix(nowUnix+60, 0)}, got)

	// The driver's next write (cold cache: gets + cas) compacts it into
	// something Lua still reads.
	require.NoError(t, s.Set(ctx, "session", k3, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	it, err := raw.Get(ik)
	require.NoError(t, err)
	live, err := luaindex.Latest(it.Value, nowUnix)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{k2: nowUnix + 60, k3: nowUnix + 3600}, live)
	assert.Equal(t, memcached.HeaderLen+2*52, len(it.Value), "compacted: header and one entry per live key")
}

func TestCorruptIndexIsReportedAndRepaired(t *testing.T) {
	addr := sharedServer(t)
	raw := rawClient(addr)
	t.Cleanup(func() { _ = raw.Close() })
	s := newShared(t, memcached.Config{})
	ctx, now := t.Context(), time.Now()
	k := sessionKey()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	require.NoError(t, s.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	ik := s.WireIndexKey("session", "a", "s")
	require.NoError(t, raw.Append(&memcache.Item{Key: ik, Value: []byte(k + ":not-b64!;garbage")}))

	_, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
	assert.NotContains(t, err.Error(), k)

	k2 := sessionKey()
	require.NoError(t, s.Set(ctx, "session", k2, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err, "the write repaired the index")
	assert.Contains(t, got, k2)
}

func TestValueLimits(t *testing.T) {
	t.Run("default limit fits the default server item size", func(t *testing.T) {
		s := newShared(t, memcached.Config{Prefix: strings.Repeat("p", 150)})
		k := strings.Repeat("k", 250-150-len("%3Asession%3A"))
		require.Len(t, s.WireKey("session", k), 250)
		v := make([]byte, memcached.DefaultMaxValueSize)
		require.NoError(t, s.Set(t.Context(), "session", k, v, time.Minute, time.Now(), session.SetOptions{}))
		got, err := s.Get(t.Context(), "session", k)
		require.NoError(t, err)
		assert.Len(t, got, len(v))
	})
	t.Run("server rejects a value over its item size", func(t *testing.T) {
		srv := memcachedtest.Start(t, memcachedtest.WithArgs("-I", "1m"))
		s, err := memcached.New(memcached.Config{Servers: []string{srv.Addr}, MaxValueSize: 4 << 20})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		k := sessionKey()
		err = s.Set(t.Context(), "session", k, make([]byte, 2<<20), time.Minute, time.Now(), session.SetOptions{})
		require.ErrorIs(t, err, session.ErrTooLarge)
		assert.NotContains(t, err.Error(), k)
		_, err = s.Get(t.Context(), "session", k)
		require.ErrorIs(t, err, session.ErrNotFound, "nothing stored, and the connection still works")
	})
}

func TestRoundTrips(t *testing.T) {
	srv := memcachedtest.Start(t)
	s, err := memcached.New(memcached.Config{Servers: []string{srv.Addr}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	now := time.Now()
	md := []session.Pair{{Audience: "a", Subject: "s"}}

	// Requests as memcached counts them: get/gets, set/add/append/cas,
	// touch, delete.
	serverCount := func() int64 {
		st := serverStats(t, "tcp", srv.Addr)
		return st["cmd_get"] + st["cmd_set"] + st["cmd_touch"] + st["delete_hits"] + st["delete_misses"]
	}
	measure := func(name string, want int64, fn func() error) {
		t.Helper()
		before, beforeS := s.RoundTrips(), serverCount()
		require.NoError(t, fn(), name)
		assert.Equal(t, want, int64(s.RoundTrips()-before), "%s: round trips counted by the driver", name)
		assert.Equal(t, want, serverCount()-beforeS, "%s: requests counted by memcached", name)
	}
	k0, k1, k2, k3 := sessionKey(), sessionKey(), sessionKey(), sessionKey()
	set := func(k string, o session.SetOptions) func() error {
		return func() error { return s.Set(ctx, "session", k, []byte("v"), time.Hour, now, o) }
	}
	measure("plain set", 1, set(k0, session.SetOptions{}))
	measure("get", 1, func() error { _, err := s.Get(ctx, "session", k0); return err })
	measure("first set with metadata (gets miss, add)", 3, set(k1, session.SetOptions{Metadata: md}))
	measure("warm rotation", 3, set(k2, session.SetOptions{OldKey: k1, Metadata: md}))
	measure("warm rotation with remember", 3, set(k3, session.SetOptions{OldKey: k2, Remember: true, Metadata: md}))
	measure("read metadata", 1, func() error { _, err := s.ReadMetadata(ctx, "session", "a", "s", now); return err })
	measure("delete with metadata", 2, func() error { return s.Delete(ctx, "session", k3, now, md) })
	s.ForgetIndexCache()
	measure("cold rotation (gets, cas)", 4, set(k1, session.SetOptions{OldKey: k0, Metadata: md}))

	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err)
	assert.Equal(t, []string{k1}, keysOf(got))
}

func keysOf(m map[string]time.Time) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestNoLostUpdatesAcrossStorages runs writers on several Storages (as
// several processes would: each has its own index cache) against one index,
// with rotations, deletes and enough traffic to cross the append limit.
func TestNoLostUpdatesAcrossStorages(t *testing.T) {
	prefix := uniquePrefix(t)
	raw := rawClient(sharedServer(t))
	t.Cleanup(func() { _ = raw.Close() })
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
		// two entries (about 70 KB here).
		ik := ss[0].WireIndexKey("session", aud, "s")
		it, err := raw.Get(ik)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(it.Value), memcached.HeaderLen+len(want)*52+storages*2*2048)
		// It expires, but not before its live keys (TTL 1 h).
		ttl := itemTTL(t, sharedServer(t), ik)
		assert.GreaterOrEqual(t, ttl, int64(3590))
		assert.LessOrEqual(t, ttl, int64(2*3600+5))
	}
}

func TestUnixSocket(t *testing.T) {
	_, path := localMemcached(t, true)
	s, err := memcached.New(memcached.Config{Socket: "unix:" + path})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	assert.Equal(t, session.Endpoint{System: "memcached", Address: path}, s.Endpoint())
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
	addr := sharedServer(t)
	raw := rawClient(addr)
	t.Cleanup(func() { _ = raw.Close() })
	s := newShared(t, memcached.Config{})
	ctx, now := t.Context(), time.Now()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	ik := s.WireIndexKey("session", "a", "s")
	long, short := sessionKey(), sessionKey()

	require.NoError(t, s.Set(ctx, "session", long, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	first := itemTTL(t, addr, ik)
	assert.GreaterOrEqual(t, first, int64(2*3600-5), "new expiry + TTL")

	s.ForgetIndexCache() // force the gets/cas path
	require.NoError(t, s.Delete(ctx, "session", long, now, md))
	s.ForgetIndexCache()
	require.NoError(t, s.Set(ctx, "session", short, []byte("v"), 10*time.Second, now, session.SetOptions{Metadata: md}))
	assert.GreaterOrEqual(t, itemTTL(t, addr, ik), first-5, "a later, shorter write does not lower the exptime")

	require.NoError(t, s.Delete(ctx, "session", short, now, md))
	it, err := raw.Get(ik)
	require.NoError(t, err, "an emptied index is not deleted")
	live, err := luaindex.Latest(it.Value, now.Unix())
	require.NoError(t, err)
	assert.Empty(t, live)
	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err)
	assert.Empty(t, got)
}
