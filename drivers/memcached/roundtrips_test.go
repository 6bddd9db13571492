package memcached_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/session"
)

// TestRoundTrips counts the requests of each operation twice: as the
// driver counts them and as memcached does. The write order of contract
// 2.17 (session, then index, then old key) costs no round trip.
func TestRoundTrips(t *testing.T) {
	srv := memcachedtest.Start(t)
	mc := raw(t, srv.Addr)
	s, err := memcached.New(memcached.Config{Servers: []string{srv.Addr}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	now := time.Now()
	md := []session.Pair{{Audience: "a", Subject: "s"}}

	measure := func(name string, want int64, fn func() error) {
		t.Helper()
		before, beforeServer := s.RoundTrips(), mc.Requests()
		require.NoError(t, fn(), name)
		got := int64(s.RoundTrips() - before)
		assert.Equal(t, want, got, "%s: round trips counted by the driver", name)
		assert.Equal(t, want, mc.Requests()-beforeServer, "%s: requests counted by memcached", name)
		t.Logf("%-48s %d", name, got)
	}
	k0, k1, k2, k3, k4 := sessionKey(), sessionKey(), sessionKey(), sessionKey(), sessionKey()
	set := func(k string, o session.SetOptions) func() error {
		return func() error { return s.Set(ctx, "session", k, []byte("v"), time.Hour, now, o) }
	}
	measure("plain set", 1, set(k0, session.SetOptions{}))
	measure("get", 1, func() error { _, err := s.Get(ctx, "session", k0); return err })
	measure("first set with metadata (set, gets: miss, add)", 3, set(k1, session.SetOptions{Metadata: md}))
	measure("set with metadata, index cached (set, append)", 2, set(k4, session.SetOptions{Metadata: md}))
	measure("warm rotation (set, append, touch)", 3, set(k2, session.SetOptions{OldKey: k1, Metadata: md}))
	measure("warm rotation with remember (set, append, delete)", 3, set(k3, session.SetOptions{OldKey: k2, Remember: true, Metadata: md}))
	measure("read metadata", 1, func() error { _, err := s.ReadMetadata(ctx, "session", "a", "s", now); return err })
	measure("delete with metadata (append, delete)", 2, func() error { return s.Delete(ctx, "session", k3, now, md) })
	measure("plain delete (of a missing key)", 1, func() error { return s.Delete(ctx, "session", sessionKey(), now, nil) })
	s.ForgetIndexCache()
	measure("cold rotation (set, gets, append, touch)", 4, set(k1, session.SetOptions{OldKey: k0, Metadata: md}))

	// A value over 1 KiB needs the server's item size limit: the first one
	// asks for it (stats settings, which memcached does not count as a
	// get or set), later ones do not.
	big := make([]byte, 4096)
	before, beforeServer := s.RoundTrips(), mc.Requests()
	require.NoError(t, s.Set(ctx, "session", k2, big, time.Hour, now, session.SetOptions{}))
	assert.Equal(t, uint64(2), s.RoundTrips()-before, "first set over 1 KiB: stats settings, set")
	assert.Equal(t, int64(1), mc.Requests()-beforeServer)
	measure("later set over 1 KiB", 1, func() error { return s.Set(ctx, "session", k3, big, time.Hour, now, session.SetOptions{}) })

	got, err := s.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{k1, k4}, keysOf(got))
}
