package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// forEachTopology runs fn on each shared topology, in parallel.
func forEachTopology(t *testing.T, fn func(t *testing.T, topo topology)) {
	for _, topo := range topologies(t) {
		t.Run(topo.name, func(t *testing.T) {
			t.Parallel()
			fn(t, topo)
		})
	}
}

// TestLuaWritesDriverReads: sessions, rotations and deletes made by lua-resty-session's
// commands are what the driver reads.
func TestLuaWritesDriverReads(t *testing.T) {
	forEachTopology(t, func(t *testing.T, topo topology) {
		for _, hash := range []bool{false, true} {
			ctx := t.Context()
			prefix := uniquePrefix()
			lua := luaNode{raw: topo.raw(t), prefix: prefix}
			s := newStorage(t, topo.config(redis.Config{Prefix: prefix, HashSubject: hash}))
			now := time.Now().Unix()
			md := []luaPair{luaEncode("default", "john", hash), luaEncode("admin", "john", hash)}
			k1, k2 := sessionKey(), sessionKey()

			require.NoError(t, lua.set(ctx, "session", k1, []byte(`["v1"]`), 3600, now, "", 0, md, false))
			require.NoError(t, lua.set(ctx, "session", k2, []byte(`["v2"]`), 3600, now, k1, 10, md, false))

			got, err := s.Get(ctx, "session", k2)
			require.NoError(t, err)
			assert.Equal(t, `["v2"]`, string(got))
			got, err = s.Get(ctx, "session", k1)
			require.NoError(t, err, "Lua keeps the rotated-away key for its grace period")
			assert.Equal(t, `["v1"]`, string(got))
			for _, aud := range []string{"default", "admin"} {
				live, err := s.ReadMetadata(ctx, "session", aud, "john", time.Unix(now, 0))
				require.NoError(t, err)
				assert.Equal(t, map[string]time.Time{k2: time.Unix(now+3600, 0)}, live, "hash_subject %v, audience %s", hash, aud)
			}

			require.NoError(t, lua.unlink(ctx, "session", k2, now, md))
			_, err = s.Get(ctx, "session", k2)
			require.ErrorIs(t, err, session.ErrNotFound)
			live, err := s.ReadMetadata(ctx, "session", "default", "john", time.Unix(now, 0))
			require.NoError(t, err)
			assert.Empty(t, live)
		}
	})
}

// TestDriverWritesLuaReads: what the driver writes is what lua-resty-session's code reads,
// names included (its own example: audience "default", subject "john").
func TestDriverWritesLuaReads(t *testing.T) {
	forEachTopology(t, func(t *testing.T, topo topology) {
		ctx := t.Context()
		prefix := uniquePrefix()
		raw := topo.raw(t)
		lua := luaNode{raw: raw, prefix: prefix}
		s := newStorage(t, topo.config(redis.Config{Prefix: prefix}))
		now := time.Now()
		md := []session.Pair{{Audience: "default", Subject: "john"}}
		lmd := luaEncode("default", "john", false)
		k1, k2 := sessionKey(), sessionKey()

		require.NoError(t, s.Set(ctx, "session", k1, []byte(`["v1"]`), time.Hour, now, session.SetOptions{Metadata: md}))
		for _, item := range []string{prefix + ":session:ZGVmYXVsdA:am9obg", prefix + ":session:" + k1} {
			n, err := raw.Exists(ctx, item).Result()
			require.NoError(t, err)
			assert.EqualValues(t, 1, n, "the items carry lua-resty-session's names")
		}

		require.NoError(t, s.Set(ctx, "session", k2, []byte(`["v2"]`), time.Hour, now,
			session.SetOptions{OldKey: k1, StaleTTL: 10 * time.Second, Metadata: md}))
		v, err := lua.get(ctx, "session", k2)
		require.NoError(t, err)
		assert.Equal(t, `["v2"]`, string(v))
		v, err = lua.get(ctx, "session", k1)
		require.NoError(t, err)
		assert.Equal(t, `["v1"]`, string(v), "the rotated-away key is readable for its grace period")
		pttl, err := raw.PTTL(ctx, prefix+":session:"+k1).Result()
		require.NoError(t, err)
		assert.LessOrEqual(t, pttl, 10*time.Second)

		listed, err := lua.readMetadata(ctx, "session", lmd, now.Unix())
		require.NoError(t, err)
		want := itoa(now.Unix() + 3600)
		if now.Nanosecond() > 0 {
			want = itoa(now.Unix() + 3601) // contract 2.18: rounded up
		}
		assert.Equal(t, map[string]string{k2: want}, listed, "Lua reads the entry and its expiry as it writes them")

		require.NoError(t, s.Delete(ctx, "session", k2, now, md))
		v, err = lua.get(ctx, "session", k2)
		require.NoError(t, err)
		assert.Nil(t, v)
		listed, err = lua.readMetadata(ctx, "session", lmd, now.Unix())
		require.NoError(t, err)
		assert.Empty(t, listed)
	})
}

// TestIndexNeverHidesLongerSessions is lua-resty-session's EXPIRE idx ttl bug, not ported:
// a short session written after a long one leaves the index alive for the long one; a
// Lua node that shortens it is undone by the next write of the driver; and an index lives
// no longer than its last entry.
func TestIndexNeverHidesLongerSessions(t *testing.T) {
	forEachTopology(t, func(t *testing.T, topo topology) {
		ctx := t.Context()
		prefix := uniquePrefix()
		raw := topo.raw(t)
		lua := luaNode{raw: raw, prefix: prefix}
		s := newStorage(t, topo.config(redis.Config{Prefix: prefix}))
		md := []session.Pair{{Audience: "default", Subject: "john"}}
		idx := s.IndexKey("session", "default", "john")
		long, short, short2 := sessionKey(), sessionKey(), sessionKey()
		now := time.Now()

		require.NoError(t, s.Set(ctx, "session", long, []byte("l"), time.Hour, now, session.SetOptions{Metadata: md}))
		require.NoError(t, s.Set(ctx, "session", short, []byte("s"), 5*time.Second, now, session.SetOptions{Metadata: md}))
		pttl, err := raw.PTTL(ctx, idx).Result()
		require.NoError(t, err)
		assert.Greater(t, pttl, 59*time.Minute, "a short session does not shorten the index of a long one")

		// A Lua node's write sets the index's TTL to its own session's.
		require.NoError(t, lua.set(ctx, "session", short2, []byte("s2"), 5, now.Unix(), "", 0,
			[]luaPair{luaEncode("default", "john", false)}, false))
		pttl, err = raw.PTTL(ctx, idx).Result()
		require.NoError(t, err)
		require.LessOrEqual(t, pttl, 5*time.Second, "Lua's EXPIRE idx ttl")
		require.NoError(t, s.Delete(ctx, "session", short, now, md)) // any write of the driver repairs it
		pttl, err = raw.PTTL(ctx, idx).Result()
		require.NoError(t, err)
		assert.Greater(t, pttl, 59*time.Minute, "the driver's next write restores the index's life")

		require.NoError(t, s.Delete(ctx, "session", long, now, md))
		pttl, err = raw.PTTL(ctx, idx).Result()
		require.NoError(t, err)
		assert.LessOrEqual(t, pttl, 6*time.Second, "the index lives as long as its last entry, no longer")
		require.NoError(t, s.Delete(ctx, "session", short2, now, md))
		n, err := raw.Exists(ctx, idx).Result()
		require.NoError(t, err)
		assert.Zero(t, n, "an index without entries is gone")
	})
}

// TestEntryEndingNowIsDead: an entry expiring at now is not listed (contract 2.8;
// lua-resty-session's read includes it).
func TestEntryEndingNowIsDead(t *testing.T) {
	forEachTopology(t, func(t *testing.T, topo topology) {
		ctx := t.Context()
		prefix := uniquePrefix()
		lua := luaNode{raw: topo.raw(t), prefix: prefix}
		s := newStorage(t, topo.config(redis.Config{Prefix: prefix}))
		now := time.Now().Unix()
		k := sessionKey()
		p := luaEncode("default", "john", false)
		require.NoError(t, lua.raw.ZAdd(ctx, lua.metaKey("session", p), goredisZ(float64(now+60), k)).Err())

		live, err := s.ReadMetadata(ctx, "session", "default", "john", time.Unix(now+59, 999_000_000))
		require.NoError(t, err)
		assert.Contains(t, live, k)
		live, err = s.ReadMetadata(ctx, "session", "default", "john", time.Unix(now+60, 0))
		require.NoError(t, err)
		assert.Empty(t, live, "an entry expiring at now is dead")
		luaLive, err := lua.readMetadata(ctx, "session", p, now+60)
		require.NoError(t, err)
		assert.Contains(t, luaLive, k, "Lua's read is inclusive")
	})
}
