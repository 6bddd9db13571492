package memcached_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/internal/luaindex"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Compatibility with lua-resty-session: the same items under the same
// escaped names, index items each side reads as the other writes them.

func entry(key string, exp int64) string { return string(driver.AppendIndexEntry(nil, key, exp)) }

// listedExpiry is now+ttl rounded up to the whole second (contract 2.18),
// computed here apart from the driver toolkit.
func listedExpiry(now time.Time, ttl time.Duration) int64 {
	end := now.Add(ttl)
	if end.Nanosecond() != 0 {
		return end.Unix() + 1
	}
	return end.Unix()
}

func TestLuaWireFormat(t *testing.T) {
	addr := sharedServer(t)
	mc := raw(t, addr)
	prefix := uniquePrefix(t)
	s := newShared(t, memcached.Config{Prefix: prefix})
	ctx := t.Context()
	now := time.Now()
	nowUnix := now.Unix()
	exp := listedExpiry(now, time.Minute)
	k1, k2 := sessionKey(), sessionKey()
	// lua-resty-session's own example: audience "default", subject "john".
	md := []session.Pair{{Audience: "default", Subject: "john"}}

	require.NoError(t, s.Set(ctx, "session", k1, []byte("v1"), time.Minute, now, session.SetOptions{Metadata: md}))
	v, ok := mc.Get(prefix + "%3Asession%3A" + k1)
	require.True(t, ok, "the session item is stored under the ngx.escape_uri-escaped key")
	assert.Equal(t, []byte("v1"), v)

	ik := prefix + "%3Asession%3AZGVmYXVsdA%3Aam9obg"
	require.Equal(t, ik, s.WireIndexKey("session", "default", "john"))
	item, ok := mc.Get(ik)
	require.True(t, ok, "the index item is stored under Lua's name for it, escaped")
	require.Greater(t, len(item), memcached.HeaderLen)
	body := item[memcached.HeaderLen:]
	assert.Equal(t, entry(k1, exp), string(body))
	assert.Len(t, body, 52, "one live entry is 52 bytes, as in Lua")

	// A rotation appends, after a sync marker (the header entry with the
	// item's exptime), the new entry and the old key's marker.
	require.NoError(t, s.Set(ctx, "session", k2, []byte("v2"), time.Minute, now, session.SetOptions{OldKey: k1, Metadata: md}))
	item, ok = mc.Get(ik)
	require.True(t, ok)
	body = item[memcached.HeaderLen:]
	assert.Equal(t, entry(k1, exp)+memcached.Header(exp+60)+entry(k2, exp)+k1+";", string(body))

	// Lua's fixed-width parser reads the whole item, headers included.
	live, err := luaindex.Latest(item, nowUnix)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{k2: exp}, live)

	// The index item has an expiry: at least the session's, at most twice.
	ttl := mc.TTL(ik)
	assert.GreaterOrEqual(t, ttl, int64(58))
	assert.LessOrEqual(t, ttl, int64(122))

	// Spaces and other bytes the text protocol cannot carry are escaped.
	require.NoError(t, s.Set(ctx, "session", "a key\r\n", []byte("v"), time.Minute, now, session.SetOptions{}))
	v, ok = mc.Get(prefix + "%3Asession%3Aa%20key%0D%0A")
	require.True(t, ok)
	assert.Equal(t, []byte("v"), v)
}

func TestLuaWrittenIndex(t *testing.T) {
	addr := sharedServer(t)
	mc := raw(t, addr)
	s := newShared(t, memcached.Config{})
	ctx := t.Context()
	now := time.Now()
	nowUnix := now.Unix()
	k1, k2, k3 := sessionKey(), sessionKey(), sessionKey()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	ik := s.WireIndexKey("session", "a", "s")
	require.True(t, strings.HasSuffix(ik, "%3Asession%3AYQ%3Acw"), "Lua names the index of (a, s) session:YQ:cw")

	// Byte for byte what lua-resty-session writes: add, appends, no expiry.
	luaItem := entry(k1, nowUnix+60) + entry(k2, nowUnix+60) + entry(k3, nowUnix-1) + k1 + ";"
	require.Equal(t, "STORED", mc.Set(ik, []byte(luaItem), 0))
	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{k2: time.Unix(nowUnix+60, 0)}, got)

	// The driver's next write (cold cache: gets + cas) compacts it into
	// something Lua still reads.
	require.NoError(t, s.Set(ctx, "session", k3, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	item, ok := mc.Get(ik)
	require.True(t, ok)
	live, err := luaindex.Latest(item, nowUnix)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{k2: nowUnix + 60, k3: listedExpiry(now, time.Hour)}, live)
	assert.Equal(t, memcached.HeaderLen+2*52, len(item), "compacted: header and one entry per live key")
}

func TestLuaHashedSubject(t *testing.T) {
	s, err := memcached.New(memcached.Config{Port: 1, HashSubject: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ik := s.WireIndexKey("session", "default", "john")
	// base64url of the first 16 bytes of SHA-256("john"): 22 characters,
	// as lua-resty-session's hash_subject writes it.
	subject, ok := strings.CutPrefix(ik, "session%3AZGVmYXVsdA%3A")
	require.True(t, ok, ik)
	assert.Len(t, subject, 22)
	assert.NotContains(t, ik, "am9obg", "the subject never reaches memcached in clear")
}

func TestIndexHeaderIsALuaNoOp(t *testing.T) {
	for _, e := range []int64{0, 1, 1_700_003_600, 1<<40 - 1} {
		h := memcached.Header(e)
		require.Len(t, h, memcached.HeaderLen)
		require.Equal(t, byte(';'), h[43], "a deletion marker of a 43-character key")
		require.NotContains(t, h[:43], ":")
		require.NotContains(t, h[:43], ";")
		require.Equal(t, byte('~'), h[0], "cannot be a base64url session key")
		k := "K" + strings.Repeat("k", 42)
		live, err := luaindex.Latest([]byte(h+k+":EP9TZQA;"+h), 1_700_000_000)
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{k: 1_700_003_600}, live)
		live, err = driver.LiveIndex([]byte(h+k+":EP9TZQA;"+h), 1_700_000_000)
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{k: 1_700_003_600}, live)
	}
}
