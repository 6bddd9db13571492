package memcached_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

func TestWireExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	const thirtyDays = 2_592_000
	tests := []struct {
		name string
		ttl  time.Duration
		want int32
		ok   bool
	}{
		{"half a second rounds up to 1, never 0", 500 * time.Millisecond, 1, true},
		{"a nanosecond rounds up to 1", time.Nanosecond, 1, true},
		{"one second", time.Second, 1, true},
		{"1.2 s rounds up", 1200 * time.Millisecond, 2, true},
		{"an hour", time.Hour, 3600, true},
		{"exactly 30 days stays relative", thirtyDays * time.Second, thirtyDays, true},
		{"30 days and 1 ms rounds up and becomes absolute", thirtyDays*time.Second + time.Millisecond, 1_700_000_000 + thirtyDays + 1, true},
		{"31 days is absolute now+ttl", 31 * 24 * time.Hour, 1_700_000_000 + 31*86400, true},
		{"400 days is absolute", 400 * 24 * time.Hour, 1_700_000_000 + 400*86400, true},
		{"beyond 2038 does not fit", 20 * 365 * 24 * time.Hour, 0, false},
		{"an absolute expiry fits until January 2038", time.Duration(math.MaxInt32-1_700_000_000) * time.Second, math.MaxInt32, true},
		{"zero is rejected", 0, 0, false},
		{"negative is rejected", -time.Second, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := memcached.WireExpiry(tt.ttl, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	// With a fraction of a second in now, a relative exptime is the TTL
	// rounded up, and an absolute one the listed expiry, rounded up too
	// (contract 2.18): the item never outlives what the index lists.
	frac := now.Add(500 * time.Millisecond)
	got, ok := memcached.WireExpiry(time.Hour, frac)
	assert.True(t, ok)
	assert.Equal(t, int32(3600), got)
	got, ok = memcached.WireExpiry(31*24*time.Hour, frac)
	assert.True(t, ok)
	assert.Equal(t, int32(1_700_000_000+31*86400+1), got)
}

func TestEscapeKey(t *testing.T) {
	all := make([]byte, 0, 256)
	for i := range 256 {
		all = append(all, byte(i))
	}
	var wantAll strings.Builder
	for _, c := range all {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
			wantAll.WriteByte(c)
		default:
			fmt.Fprintf(&wantAll, "%%%02X", c)
		}
	}
	tests := []struct{ in, want string }{
		{"sessions:session:K", "sessions%3Asession%3AK"},
		{"abcXYZ019-._~", "abcXYZ019-._~"},
		{"a b", "a%20b"},
		{"\r\n\x00\xff", "%0D%0A%00%FF"},
		{"100%", "100%25"},
		{"a/b+c=d", "a%2Fb%2Bc%3Dd"},
		{"!*'()", "%21%2A%27%28%29"},
		{"é", "%C3%A9"},
		{string(all), wantAll.String()},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in[:min(len(tt.in), 20)]), func(t *testing.T) {
			assert.Equal(t, tt.want, memcached.EscapeKey(tt.in))
		})
	}
}

func TestNewConfigValidation(t *testing.T) {
	pool := x509.NewCertPool()
	tests := []struct {
		name string
		cfg  memcached.Config
		ok   bool
	}{
		{"zero value", memcached.Config{}, true},
		{"host and port", memcached.Config{Host: "memcached.internal", Port: 11311}, true},
		{"ipv6 host", memcached.Config{Host: "::1"}, true},
		{"socket", memcached.Config{Socket: "/run/memcached.sock"}, true},
		{"lua socket form", memcached.Config{Socket: "unix:/run/memcached.sock"}, true},
		{"socket wins over host", memcached.Config{Socket: "/run/m.sock", Host: "h", Port: 1}, true},
		{"servers", memcached.Config{Servers: []string{"a:1", "[::1]:2", "/run/m.sock", "unix:/run/n.sock"}}, true},
		{"ssl with options", memcached.Config{SSL: true, ServerName: "x", RootCAs: pool, Certificates: []tls.Certificate{{}}}, true},
		{"ssl insecure", memcached.Config{SSL: true, SSLInsecureSkipVerify: true}, true},
		{"all sizes and timeouts", memcached.Config{ConnectTimeout: 1, SendTimeout: 1, ReadTimeout: 1, KeepaliveTimeout: 1, PoolSize: 1, Backlog: 1, MaxValueSize: 1}, true},

		{"negative connect timeout", memcached.Config{ConnectTimeout: -1}, false},
		{"negative send timeout", memcached.Config{SendTimeout: -1}, false},
		{"negative read timeout", memcached.Config{ReadTimeout: -1}, false},
		{"negative keepalive timeout", memcached.Config{KeepaliveTimeout: -1}, false},
		{"negative pool size", memcached.Config{PoolSize: -1}, false},
		{"negative backlog", memcached.Config{Backlog: -1}, false},
		{"negative max value size", memcached.Config{MaxValueSize: -1}, false},
		{"negative port", memcached.Config{Port: -1}, false},
		{"port too large", memcached.Config{Port: 65536}, false},
		{"socket and servers", memcached.Config{Socket: "/s", Servers: []string{"a:1"}}, false},
		{"host and servers", memcached.Config{Host: "h", Servers: []string{"a:1"}}, false},
		{"port and servers", memcached.Config{Port: 1, Servers: []string{"a:1"}}, false},
		{"server without port", memcached.Config{Servers: []string{"a"}}, false},
		{"server with bad port", memcached.Config{Servers: []string{"a:x"}}, false},
		{"server with port 0", memcached.Config{Servers: []string{"a:0"}}, false},
		{"server with empty host", memcached.Config{Servers: []string{":11211"}}, false},
		{"server listed twice", memcached.Config{Servers: []string{"a:1", "a:1"}}, false},
		{"empty server", memcached.Config{Servers: []string{""}}, false},
		{"empty lua socket", memcached.Config{Socket: "unix:"}, false},
		{"host with space", memcached.Config{Host: "a b"}, false},
		{"server name without ssl", memcached.Config{ServerName: "x"}, false},
		{"insecure without ssl", memcached.Config{SSLInsecureSkipVerify: true}, false},
		{"root CAs without ssl", memcached.Config{RootCAs: pool}, false},
		{"certificates without ssl", memcached.Config{Certificates: []tls.Certificate{{}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := memcached.New(tt.cfg)
			if tt.ok {
				require.NoError(t, err)
				require.NotNil(t, s)
				require.NoError(t, s.Close())
				return
			}
			require.ErrorIs(t, err, memcached.ErrConfig)
			assert.Nil(t, s)
		})
	}
}

func TestNewDoesNotDial(t *testing.T) {
	// Nothing listens on port 1, and the host is not resolvable: New still
	// succeeds at once, because it neither resolves nor dials.
	s, err := memcached.New(memcached.Config{Servers: []string{"127.0.0.1:1", "no-such-host.invalid:11211"}})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

func TestSharedPoolMustMatch(t *testing.T) {
	a, err := memcached.New(memcached.Config{Pool: "shared-test", Port: 1})
	require.NoError(t, err)
	// What shapes one Storage's items only may differ within a pool; the
	// same server named another way is the same server.
	for _, own := range []memcached.Config{
		{Pool: "shared-test", Port: 1, Prefix: "other"},
		{Pool: "shared-test", Port: 1, Suffix: "x", HashSubject: true, MaxValueSize: 10},
		{Pool: "shared-test", Servers: []string{"127.0.0.1:1"}},
		{Pool: "shared-test", Host: "127.0.0.1", Port: 1, ReadTimeout: memcached.DefaultReadTimeout},
	} {
		b, err := memcached.New(own)
		require.NoError(t, err, "%+v", own)
		require.NoError(t, b.Close())
	}
	// Everything else must match.
	for _, other := range []memcached.Config{
		{Pool: "shared-test", Port: 2},
		{Pool: "shared-test", Port: 1, ReadTimeout: time.Minute},
		{Pool: "shared-test", Port: 1, PoolSize: 3},
		{Pool: "shared-test", Port: 1, Backlog: 3},
		{Pool: "shared-test", Port: 1, KeepaliveTimeout: 2 * time.Minute},
		{Pool: "shared-test", Port: 1, SSL: true},
		{Pool: "shared-test", Servers: []string{"127.0.0.1:1", "127.0.0.1:2"}},
	} {
		_, err = memcached.New(other)
		require.ErrorIs(t, err, memcached.ErrConfig, "%+v", other)
	}
	require.NoError(t, a.Close())
	// With the last Storage closed the name is free for a new configuration.
	c, err := memcached.New(memcached.Config{Pool: "shared-test", Port: 2})
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name string
		cfg  memcached.Config
		want driver.Endpoint
	}{
		{"default", memcached.Config{}, driver.Endpoint{System: "memcached", Address: "127.0.0.1", Port: 11211}},
		{"host port", memcached.Config{Host: "mc.internal", Port: 11311}, driver.Endpoint{System: "memcached", Address: "mc.internal", Port: 11311}},
		{"socket", memcached.Config{Socket: "unix:/run/mc.sock"}, driver.Endpoint{System: "memcached", Address: "/run/mc.sock"}},
		{"first of servers", memcached.Config{Servers: []string{"[::1]:1", "b:2"}}, driver.Endpoint{System: "memcached", Address: "::1", Port: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := memcached.New(tt.cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			assert.Equal(t, tt.want, s.Endpoint())
		})
	}
}

func TestClosedStorage(t *testing.T) {
	s, err := memcached.New(memcached.Config{Port: 1})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	ctx := t.Context()
	now := time.Now()
	_, err = s.Get(ctx, "session", "k")
	require.ErrorIs(t, err, session.ErrClosed)
	require.ErrorIs(t, s.Set(ctx, "session", "k", nil, time.Hour, now, session.SetOptions{}), session.ErrClosed)
	require.ErrorIs(t, s.Delete(ctx, "session", "k", now, nil), session.ErrClosed)
	_, err = s.ReadMetadata(ctx, "session", "a", "s", now)
	require.ErrorIs(t, err, session.ErrClosed)
}

func TestKeyTooLongAfterEscaping(t *testing.T) {
	// No server: a rejected key must not reach the network.
	s, err := memcached.New(memcached.Config{Port: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx, now := t.Context(), time.Now()
	// "session:" escapes to 10 bytes, a space to 3.
	long := strings.Repeat(" ", 81)
	fits := strings.Repeat(" ", 80)
	require.Len(t, memcached.EscapeKey("session:"+long), 253)
	require.Len(t, memcached.EscapeKey("session:"+fits), 250)

	assertTooLong := func(t *testing.T, err error, arg string) {
		t.Helper()
		require.ErrorIs(t, err, session.ErrTooLarge)
		require.ErrorIs(t, err, session.ErrInvalidArgument)
		var ae *session.ArgumentError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, arg, ae.Arg)
		assert.Equal(t, 250, ae.Limit)
		assert.NotContains(t, err.Error(), long)
	}
	assertTooLong(t, s.Set(ctx, "session", long, []byte("v"), time.Hour, now, session.SetOptions{}), "key")
	_, err = s.Get(ctx, "session", long)
	assertTooLong(t, err, "key")
	assertTooLong(t, s.Delete(ctx, "session", long, now, nil), "key")
	assertTooLong(t, s.Set(ctx, "session", "k", nil, time.Hour, now, session.SetOptions{OldKey: long}), "opts.OldKey")
	// An index name holds the subject base64url-encoded: 4 characters for
	// every 3 bytes.
	longSubject := strings.Repeat(" ", 180)
	assertTooLong(t, s.Set(ctx, "session", "k", nil, time.Hour, now,
		session.SetOptions{Metadata: []session.Pair{{Audience: "a", Subject: "s"}, {Audience: "a", Subject: longSubject}}}), "metadata[1]")
	assertTooLong(t, s.Delete(ctx, "session", "k", now, []session.Pair{{Audience: "a", Subject: longSubject}}), "metadata[0]")
	_, err = s.ReadMetadata(ctx, "session", "a", longSubject, now)
	assertTooLong(t, err, "subject")

	// The key that fits goes on to the network, where nothing listens.
	_, err = s.Get(ctx, "session", fits)
	require.Error(t, err)
	assert.NotErrorIs(t, err, session.ErrInvalidArgument)
}

func TestValueOverMaxValueSize(t *testing.T) {
	s, err := memcached.New(memcached.Config{Port: 1, MaxValueSize: 10})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	err = s.Set(t.Context(), "session", "k", make([]byte, 11), time.Hour, time.Now(), session.SetOptions{})
	require.ErrorIs(t, err, session.ErrTooLarge)
	var ae *session.ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 10, ae.Limit)
}

func TestTTLBeyond2038(t *testing.T) {
	s, err := memcached.New(memcached.Config{Port: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	err = s.Set(t.Context(), "session", "k", nil, math.MaxInt64, time.Now(), session.SetOptions{})
	require.ErrorIs(t, err, session.ErrInvalidArgument)
}

func TestConsistentHashing(t *testing.T) {
	three := []string{"10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"}
	pick3, err := memcached.Ring(three...)
	require.NoError(t, err)
	pick4, err := memcached.Ring(append(three, "10.0.0.4:11211")...)
	require.NoError(t, err)

	const n = 20000
	counts := map[string]int{}
	moved, movedElsewhere := 0, 0
	for i := range n {
		key := memcached.EscapeKey("sessions:session:" + strconv.Itoa(i) + "-key")
		a, b := pick3(key), pick4(key)
		counts[a]++
		if a != b {
			moved++
			if b != "10.0.0.4:11211" {
				movedElsewhere++
			}
		}
	}
	for _, srv := range three {
		share := float64(counts[srv]) / n
		assert.InDelta(t, 1.0/3, share, 0.08, "share of %s", srv)
	}
	// About a quarter moves, all of it to the new server (crc32 mod n would
	// move three quarters).
	assert.InDelta(t, 0.25, float64(moved)/n, 0.07)
	assert.Zero(t, movedElsewhere, "keys only move to the added server")

	// The ring is deterministic and independent of the order of Servers.
	pickRev, err := memcached.Ring(three[2], three[1], three[0])
	require.NoError(t, err)
	for i := range 1000 {
		key := strconv.Itoa(i)
		require.Equal(t, pick3(key), pickRev(key))
	}
}
