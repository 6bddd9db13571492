package driver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// secretKey stands for a session key: no error may quote it.
const secretKey = "SECRETkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// requireArgError checks that err is an invalid-argument error naming arg,
// and that it quotes none of the secrets.
func requireArgError(t *testing.T, err error, arg string, secrets ...string) {
	t.Helper()
	require.ErrorIs(t, err, session.ErrInvalidArgument)
	var ae *session.ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, arg, ae.Arg)
	assert.Contains(t, err.Error(), arg)
	for _, s := range secrets {
		assert.NotContains(t, err.Error(), s)
	}
}

func TestCheckContext(t *testing.T) {
	require.NoError(t, driver.CheckContext(context.Background()))

	var nilCtx context.Context
	requireArgError(t, driver.CheckContext(nilCtx), "ctx")

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	err := driver.CheckContext(cancelled)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, session.ErrInvalidArgument)

	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	require.ErrorIs(t, driver.CheckContext(expired), context.DeadlineExceeded)

	cause := errors.New("shutting down")
	withCause, cancel3 := context.WithCancelCause(context.Background())
	cancel3(cause)
	require.ErrorIs(t, driver.CheckContext(withCause), context.Canceled, "wraps ctx.Err()")
}

func TestCheckSet(t *testing.T) {
	md := func(p ...string) []session.Pair {
		var out []session.Pair
		for i := 0; i+1 < len(p); i += 2 {
			out = append(out, session.Pair{Audience: p[i], Subject: p[i+1]})
		}
		return out
	}
	const other = "OTHERkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name    string
		cname   string
		key     string
		ttl     time.Duration
		opts    session.SetOptions
		wantArg string // "" means valid
	}{
		{"plain", "session", secretKey, time.Hour, session.SetOptions{}, ""},
		{"one nanosecond", "session", secretKey, time.Nanosecond, session.SetOptions{}, ""},
		{"rotation", "session", secretKey, time.Hour, session.SetOptions{OldKey: other, StaleTTL: time.Second, Remember: true}, ""},
		{"metadata", "session", secretKey, time.Hour, session.SetOptions{OldKey: other, Metadata: md("a", "s", "b", "t")}, ""},
		{"unindexable key without metadata", "session", "a;b c", time.Hour, session.SetOptions{OldKey: "x;y"}, ""},
		{"name with colon", "a:b", secretKey, time.Hour, session.SetOptions{}, "name"},
		{"key with colon, no metadata", "session", "SECRET:key", time.Hour, session.SetOptions{}, "key"},
		{"old key with colon, no metadata", "session", secretKey, time.Hour, session.SetOptions{OldKey: "SECRET:old"}, "opts.OldKey"},
		{"old key with semicolon", "session", secretKey, time.Hour, session.SetOptions{OldKey: "SECRET;old", Metadata: md("a", "s")}, "opts.OldKey"},
		{"audience and subject may hold anything", "session", secretKey, time.Hour, session.SetOptions{Metadata: md("a:b;\x00", "\xff:c")}, ""},
		{"empty name", "", secretKey, time.Hour, session.SetOptions{}, "name"},
		{"empty key", "session", "", time.Hour, session.SetOptions{}, "key"},
		{"zero ttl", "session", secretKey, 0, session.SetOptions{}, "ttl"},
		{"negative ttl", "session", secretKey, -time.Second, session.SetOptions{}, "ttl"},
		{"negative stale ttl", "session", secretKey, time.Hour, session.SetOptions{OldKey: other, StaleTTL: -1}, "opts.StaleTTL"},
		{"old key is key", "session", secretKey, time.Hour, session.SetOptions{OldKey: secretKey}, "opts.OldKey"},
		{"empty audience", "session", secretKey, time.Hour, session.SetOptions{Metadata: md("a", "s", "", "t")}, "metadata[1].Audience"},
		{"empty subject", "session", secretKey, time.Hour, session.SetOptions{Metadata: md("a", "")}, "metadata[0].Subject"},
		{"key with colon", "session", "SECRET:key", time.Hour, session.SetOptions{Metadata: md("a", "s")}, "key"},
		{"key with semicolon", "session", "SECRET;key", time.Hour, session.SetOptions{Metadata: md("a", "s")}, "key"},
		{"old key with colon", "session", secretKey, time.Hour, session.SetOptions{OldKey: "SECRET:old", Metadata: md("a", "s")}, "opts.OldKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := driver.CheckSet(tt.cname, tt.key, tt.ttl, tt.opts)
			if tt.wantArg == "" {
				require.NoError(t, err)
				return
			}
			requireArgError(t, err, tt.wantArg, secretKey, "SECRET", other)
			assert.NotErrorIs(t, err, session.ErrTooLarge)
		})
	}
}

func TestCheckGet(t *testing.T) {
	require.NoError(t, driver.CheckGet("session", secretKey))
	require.NoError(t, driver.CheckGet("session", "any;key at all"), "Get needs no indexable key")
	requireArgError(t, driver.CheckGet("session", "SECRET:key"), "key", "SECRET")
	requireArgError(t, driver.CheckGet("default:alice", secretKey), "name", secretKey)
	requireArgError(t, driver.CheckGet("", secretKey), "name", secretKey)
	requireArgError(t, driver.CheckGet("session", ""), "key")
}

func TestCheckDelete(t *testing.T) {
	a := []session.Pair{{Audience: "a", Subject: "s"}}
	tests := []struct {
		name, cname, key string
		md               []session.Pair
		wantArg          string
	}{
		{"plain", "session", secretKey, nil, ""},
		{"metadata", "session", secretKey, a, ""},
		{"unindexable key without metadata", "session", "SECRET;key", nil, ""},
		{"key with colon", "session", "SECRET:key", nil, "key"},
		{"name with colon", "a:b", secretKey, nil, "name"},
		{"empty name", "", secretKey, nil, "name"},
		{"empty key", "session", "", a, "key"},
		{"unindexable key", "session", "SECRET;key", a, "key"},
		{"empty audience", "session", secretKey, []session.Pair{{Subject: "s"}}, "metadata[0].Audience"},
		{"empty subject", "session", secretKey, append(a, session.Pair{Audience: "b"}), "metadata[1].Subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := driver.CheckDelete(tt.cname, tt.key, tt.md)
			if tt.wantArg == "" {
				require.NoError(t, err)
				return
			}
			requireArgError(t, err, tt.wantArg, secretKey, "SECRET")
		})
	}
}

func TestCheckReadMetadata(t *testing.T) {
	tests := []struct {
		name, aud, sub, wantArg string
	}{
		{"session", "a", "s", ""},
		{"session", "a:b", "s;t", ""},
		{"a:b", "a", "s", "name"},
		{"", "a", "s", "name"},
		{"session", "", "s", "audience"},
		{"session", "a", "", "subject"},
		{"", "", "", "name"},
	}
	for _, tt := range tests {
		err := driver.CheckReadMetadata(tt.name, tt.aud, tt.sub)
		if tt.wantArg == "" {
			require.NoError(t, err)
			continue
		}
		requireArgError(t, err, tt.wantArg)
	}
}

func TestCheckValueSize(t *testing.T) {
	tests := []struct {
		size, limit int
		tooLarge    bool
	}{
		{0, 0, false},
		{1 << 20, 0, false},
		{10, -1, false},
		{10, 10, false},
		{11, 10, true},
		{0, 1, false},
	}
	for _, tt := range tests {
		value := []byte(strings.Repeat("S", tt.size))
		err := driver.CheckValueSize(value, tt.limit)
		if !tt.tooLarge {
			require.NoError(t, err, "%d bytes, limit %d", tt.size, tt.limit)
			continue
		}
		requireArgError(t, err, "value", string(value))
		require.ErrorIs(t, err, session.ErrTooLarge)
		assert.Contains(t, err.Error(), "limit 10 bytes", "the error names the limit")
	}
}

func TestIndexableKey(t *testing.T) {
	for key, want := range map[string]bool{
		secretKey:   true,
		"":          true,
		"a b\x00":   true,
		"a:b":       false,
		"a;b":       false,
		":":         false,
		"trailing;": false,
	} {
		assert.Equal(t, want, driver.IndexableKey(key), "%q", key)
	}
}

func TestCeilSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{time.Nanosecond, 1},
		{500 * time.Millisecond, 1},
		{time.Second, 1},
		{time.Second + time.Nanosecond, 2},
		{1500 * time.Millisecond, 2},
		{time.Hour, 3600},
		{31 * 24 * time.Hour, 2678400},
		{-time.Nanosecond, 0},
		{-time.Second, -1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, driver.CeilSeconds(tt.d), tt.d)
	}
	assert.LessOrEqual(t, driver.CeilSeconds(-1500*time.Millisecond), int64(0))
	assert.Positive(t, driver.CeilSeconds(time.Duration(1<<63-1)), "no overflow at the largest duration")
}

func TestExpiryUnix(t *testing.T) {
	base := time.Unix(1700000000, 0)
	tests := []struct {
		now  time.Time
		ttl  time.Duration
		want int64
	}{
		{base, time.Hour, 1700003600},
		{base, 500 * time.Millisecond, 1700000001},
		{base, time.Second, 1700000001},
		{base.Add(900 * time.Millisecond), time.Second, 1700000002}, // contract 2.18: the fraction of now counts
		{base.Add(500 * time.Millisecond), 10 * time.Second, 1700000011},
		{base.Add(500 * time.Millisecond), 500 * time.Millisecond, 1700000001}, // exactly a whole second
		{base.Add(999999999), 999999999, 1700000002},
		{base.Add(1), time.Hour, 1700003601},
		{base.Add(-1), time.Hour, 1700003600},
		{time.Unix(-5, 500000000), time.Second, -3},
		{base.In(time.FixedZone("X", 3600)), time.Minute, 1700000060},
	}
	for _, tt := range tests {
		got := driver.ExpiryUnix(tt.now, tt.ttl)
		assert.Equal(t, tt.want, got, "%v + %v", tt.now, tt.ttl)
		end := tt.now.Add(tt.ttl)
		assert.False(t, time.Unix(got, 0).Before(end), "the listed expiry never precedes the session's end")
		assert.True(t, time.Unix(got, 0).Sub(end) < time.Second, "and is at most a second after it")
	}
	assert.Equal(t, int64(1<<63-1), driver.ExpiryUnix(time.Unix(1<<63-10, 0), time.Hour), "clamped, not wrapped")
	assert.NotPanics(t, func() { driver.ExpiryUnix(time.Time{}, time.Duration(1<<63-1)) })
}
