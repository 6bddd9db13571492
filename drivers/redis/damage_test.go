package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// TestRotationNeverLengthensOldKey: the rotated-away key's TTL is only ever shortened
// (PEXPIRE … LT), a missing one is not created, and one without a TTL (a foreign write:
// neither this driver nor Lua writes one) counts as living forever, so it is shortened to
// the grace period (Lua leaves it readable for good).
func TestRotationNeverLengthensOldKey(t *testing.T) {
	forEachTopology(t, func(t *testing.T, topo topology) {
		ctx := t.Context()
		raw := topo.raw(t)
		s := newStorage(t, topo.config(redis.Config{}))
		md := []session.Pair{{Audience: "a", Subject: "s"}}
		now := time.Now()
		rotate := func(old string, stale time.Duration) {
			t.Helper()
			require.NoError(t, s.Set(ctx, "session", sessionKey(), []byte("new"), time.Hour, now,
				session.SetOptions{OldKey: old, StaleTTL: stale, Metadata: md}))
		}

		short := sessionKey()
		require.NoError(t, s.Set(ctx, "session", short, []byte("old"), 3*time.Second, now, session.SetOptions{Metadata: md}))
		rotate(short, time.Minute)
		pttl, err := raw.PTTL(ctx, s.SessionKey("session", short)).Result()
		require.NoError(t, err)
		assert.LessOrEqual(t, pttl, 3*time.Second, "a grace period longer than the old key's life does not lengthen it")
		assert.Positive(t, pttl)

		long := sessionKey()
		require.NoError(t, s.Set(ctx, "session", long, []byte("old"), time.Hour, now, session.SetOptions{Metadata: md}))
		rotate(long, 7*time.Second)
		pttl, err = raw.PTTL(ctx, s.SessionKey("session", long)).Result()
		require.NoError(t, err)
		assert.LessOrEqual(t, pttl, 7*time.Second)
		assert.Greater(t, pttl, 5*time.Second)

		missing := sessionKey()
		rotate(missing, 7*time.Second)
		n, err := raw.Exists(ctx, s.SessionKey("session", missing)).Result()
		require.NoError(t, err)
		assert.Zero(t, n, "a missing old key is not created")

		persistent := sessionKey()
		require.NoError(t, raw.Set(ctx, s.SessionKey("session", persistent), "foreign", 0).Err())
		rotate(persistent, 7*time.Second)
		pttl, err = raw.PTTL(ctx, s.SessionKey("session", persistent)).Result()
		require.NoError(t, err)
		assert.LessOrEqual(t, pttl, 7*time.Second, "a key without a TTL gets the grace period")
		assert.Positive(t, pttl)
	})
}

// TestWrongTypeIndex: a foreign write of another type under an index's name lists nothing
// the driver can read: ReadMetadata says so (session.ErrCorruptIndex and ErrWrongType,
// no entries) and the next write replaces it (contract 2.19: the write repairs it). A
// session item of the wrong type is a clear error for Get.
func TestWrongTypeIndex(t *testing.T) {
	forEachTopology(t, func(t *testing.T, topo topology) {
		ctx := t.Context()
		raw := topo.raw(t)
		s := newStorage(t, topo.config(redis.Config{}))
		md := []session.Pair{{Audience: "a", Subject: "s"}}
		now := time.Now()
		idx := s.IndexKey("session", "a", "s")
		require.NoError(t, raw.Set(ctx, idx, "K:EP9TZQA;", 0).Err()) // a memcached-style index

		live, err := s.ReadMetadata(ctx, "session", "a", "s", now)
		require.ErrorIs(t, err, session.ErrCorruptIndex)
		require.ErrorIs(t, err, redis.ErrWrongType)
		assert.NotNil(t, live)
		assert.Empty(t, live)
		n, err := session.RevokeAll(ctx, s, "session", "a", "s", now)
		require.NoError(t, err, "RevokeAll goes on with what a damaged index lists")
		assert.Zero(t, n)

		k := sessionKey()
		require.NoError(t, s.Set(ctx, "session", k, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
		live, err = s.ReadMetadata(ctx, "session", "a", "s", now)
		require.NoError(t, err, "the write replaced the damaged index")
		assert.Contains(t, live, k)

		other := sessionKey()
		require.NoError(t, raw.RPush(ctx, s.SessionKey("session", other), "x").Err())
		_, err = s.Get(ctx, "session", other)
		require.ErrorIs(t, err, redis.ErrWrongType)
		require.NotErrorIs(t, err, session.ErrNotFound)
		assert.NotContains(t, err.Error(), other)

		// Delete repairs too, and deletes the session all the same.
		require.NoError(t, raw.Set(ctx, idx, "garbage", 0).Err())
		require.NoError(t, s.Delete(ctx, "session", k, now, md))
		_, err = s.Get(ctx, "session", k)
		require.ErrorIs(t, err, session.ErrNotFound)
		typ, err := raw.Type(ctx, idx).Result()
		require.NoError(t, err)
		assert.Equal(t, "none", typ)
	})
}

// TestForeignEntries: members no writer makes (not a session key) and expiries past the
// year 9999 are skipped by ReadMetadata and reported beside the good entries; writes
// prune the implausible expiries; RevokeAll revokes exactly the good entries.
func TestForeignEntries(t *testing.T) {
	forEachTopology(t, func(t *testing.T, topo topology) {
		ctx := t.Context()
		raw := topo.raw(t)
		s := newStorage(t, topo.config(redis.Config{}))
		md := []session.Pair{{Audience: "a", Subject: "s"}}
		now := time.Now()
		idx := s.IndexKey("session", "a", "s")
		k1, k2 := sessionKey(), sessionKey()
		require.NoError(t, s.Set(ctx, "session", k1, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
		require.NoError(t, raw.Do(ctx, "zadd", idx, "+inf", "\x00torn").Err())
		require.NoError(t, raw.Do(ctx, "zadd", idx, redis.MaxScore+1, sessionKey()).Err())
		require.NoError(t, raw.Do(ctx, "zadd", idx, now.Unix()+60, "not:a;key").Err())

		live, err := s.ReadMetadata(ctx, "session", "a", "s", now)
		require.ErrorIs(t, err, session.ErrCorruptIndex)
		assert.Contains(t, err.Error(), "3 entries")
		assert.Equal(t, []string{k1}, keysOf(live))

		require.NoError(t, s.Set(ctx, "session", k2, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
		live, err = s.ReadMetadata(ctx, "session", "a", "s", now)
		require.ErrorIs(t, err, session.ErrCorruptIndex, "a member that is no key stays until its expiry")
		assert.Contains(t, err.Error(), "1 entries")
		assert.ElementsMatch(t, []string{k1, k2}, keysOf(live))
		card, err := raw.ZCard(ctx, idx).Result()
		require.NoError(t, err)
		assert.EqualValues(t, 3, card, "the write pruned the two implausible expiries")

		n, err := session.RevokeAll(ctx, s, "session", "a", "s", now)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
	})
}

func keysOf(m map[string]time.Time) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
