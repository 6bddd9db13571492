package driver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// k43 returns a 43-character base64url key, the shape of lua-resty-session's keys.
func k43(c byte) string { return strings.Repeat(string(c), 43) }

func TestExpiryVectors(t *testing.T) {
	tests := []struct {
		exp int64
		enc string
	}{
		{1700003600, "EP9TZQA"}, // contract 4.4: bytes 10 ff 53 65 00
		{1700000000, "APFTZQA"},
		{0, "AAAAAAA"},
		{1, "AQAAAAA"},
		{driver.MaxIndexExpiry, "______8"},
	}
	for _, tt := range tests {
		got := driver.AppendIndexExpiry(nil, tt.exp)
		assert.Equal(t, tt.enc, string(got), "encode %d", tt.exp)
		dec, err := driver.DecodeIndexExpiry([]byte(tt.enc))
		require.NoError(t, err)
		assert.Equal(t, tt.exp, dec, "decode %s", tt.enc)
	}
}

func TestExpiryClamps(t *testing.T) {
	assert.Equal(t, "AAAAAAA", string(driver.AppendIndexExpiry(nil, -5)))
	assert.Equal(t, string(driver.AppendIndexExpiry(nil, driver.MaxIndexExpiry)), string(driver.AppendIndexExpiry(nil, driver.MaxIndexExpiry+1)))
	assert.Equal(t, string(driver.AppendIndexExpiry(nil, driver.MaxIndexExpiry)), string(driver.AppendIndexExpiry(nil, 1<<62)))
}

func TestDecodeExpiryRejects(t *testing.T) {
	for _, s := range []string{"", "EP9TZQ", "EP9TZQAA", "EP9TZ+A", "EP9TZ/A", "EP9TZQ=", "EP9\nZQA", "EP9TZ A"} {
		_, err := driver.DecodeIndexExpiry([]byte(s))
		require.ErrorIs(t, err, session.ErrCorruptIndex, "%q", s)
	}
}

func TestEntryShapes(t *testing.T) {
	k := k43('K')
	entry := driver.AppendIndexEntry(nil, k, 1700003600)
	assert.Equal(t, k+":EP9TZQA;", string(entry))
	assert.Len(t, entry, 52, "Lua's live entry is 43+1+7+1 bytes")
	assert.Equal(t, 52, driver.IndexEntryLen(43))

	marker := driver.AppendIndexTombstone(nil, k)
	assert.Equal(t, k+";", string(marker))
	assert.Len(t, marker, 44, "Lua's deletion marker is 43+1 bytes")

	assert.Equal(t, string(marker), string(driver.AppendIndexEntry(nil, k, 0)), "expiry 0 means deleted, as in Lua")
	assert.Equal(t, string(marker), string(driver.AppendIndexEntry(nil, k, -1)))
	assert.Equal(t, "dst"+k+";", string(driver.AppendIndexTombstone([]byte("dst"), k)), "appends to dst")
}

func TestLive(t *testing.T) {
	const now = 1700000000
	a, b := k43('A'), k43('B')
	e := func(key string, exp int64) string { return string(driver.AppendIndexEntry(nil, key, exp)) }
	tests := []struct {
		name string
		item string
		want map[string]int64
	}{
		{"empty item", "", map[string]int64{}},
		{"one live", e(a, now+60), map[string]int64{a: now + 60}},
		{"marker after entry", e(a, now+60) + a + ";", map[string]int64{}},
		{"entry after marker", a + ";" + e(a, now+60), map[string]int64{a: now + 60}},
		{"later entry wins, longer", e(a, now+5) + e(a, now+60), map[string]int64{a: now + 60}},
		{"later entry wins, shorter", e(a, now+60) + e(a, now+5), map[string]int64{a: now + 5}},
		{"later expired entry wins", e(a, now+60) + e(a, now-1), map[string]int64{}},
		{"exp == now is dead", e(a, now) + e(b, now+1), map[string]int64{b: now + 1}},
		{"expired entries skipped", e(a, now-100) + e(b, now+100), map[string]int64{b: now + 100}},
		{"marker of unknown key", b + ";", map[string]int64{}},
		{"short keys", "x:" + string(driver.AppendIndexExpiry(nil, now+1)) + ";y;", map[string]int64{"x": now + 1}},
		{"long keys", e(strings.Repeat("L", 100), now+1), map[string]int64{strings.Repeat("L", 100): now + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := driver.LiveIndex([]byte(tt.item), now)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMarkerIsDeadBefore1970(t *testing.T) {
	// A marker carries expiry 0; a now before the epoch must not revive it.
	for _, item := range []string{"K;", "K:AAAAAAA;", "K:EP9TZQA;K;"} {
		live, err := driver.LiveIndex([]byte(item), -1)
		require.NoError(t, err)
		assert.Empty(t, live, "%q", item)
	}
}

func TestCorruptItems(t *testing.T) {
	k := k43('K')
	valid := string(driver.AppendIndexEntry(nil, k, 1700003600))
	tests := map[string]string{
		"truncated entry":   valid[:len(valid)-1],
		"truncated expiry":  valid[:len(valid)-4],
		"no delimiter":      "abc",
		"empty key marker":  ";",
		"empty key entry":   ":EP9TZQA;",
		"bad base64":        k + ":EP9T*QA;",
		"padding":           k + ":EP9TZQ=;",
		"expiry too long":   k + ":EP9TZQAA;",
		"colon only":        k + ":",
		"colon then marker": k + ":;",
		"two colons":        k + "::EP9TZQA;",
		"binary garbage":    "\x00\xff:\x01\x02\x03\x04\x05\x06\x07;",
	}
	for name, item := range tests {
		t.Run(name, func(t *testing.T) {
			live, err := driver.LiveIndex([]byte(item), 0)
			require.ErrorIs(t, err, session.ErrCorruptIndex)
			assert.NotNil(t, live, "the well-formed entries come with the error")
			assert.Empty(t, live)
			assert.NotContains(t, err.Error(), k, "errors never quote a key")
			require.ErrorIs(t, driver.ScanIndex([]byte(item), nil), session.ErrCorruptIndex)
		})
	}
}

// TestDamageHidesNothing is contract 2.19: bytes no parser understands, before,
// between or after entries, never hide a well-formed entry.
func TestDamageHidesNothing(t *testing.T) {
	const now = 1700000000
	a, b, c := k43('A'), k43('B'), k43('C')
	e := func(key string, exp int64) string { return string(driver.AppendIndexEntry(nil, key, exp)) }
	// sync is the deletion marker of a key that never lives, with which a
	// writer that did not just read the item starts an append.
	sync := k43('~') + ";"
	tests := []struct {
		name string
		item string
		want map[string]int64
	}{
		{"garbage after entries", e(a, now+60) + e(b, now+60) + "\x00\xff garbage", map[string]int64{a: now + 60, b: now + 60}},
		{"garbage with a ';' before an entry", "garbage;" + e(a, now+60), map[string]int64{a: now + 60}},
		{"torn entry, then an append", e(a, now+60)[:30] + sync + e(b, now+60), map[string]int64{b: now + 60}},
		{"torn expiry, then an append", e(a, now+60)[:47] + sync + e(b, now+60), map[string]int64{b: now + 60}},
		{"garbage without delimiter, then an append", "\xff\xfe" + sync + e(b, now+60) + c + ";", map[string]int64{b: now + 60}},
		{"damage between entries", e(a, now+60) + ":EP9;" + e(b, now+60) + e(c, now+60), map[string]int64{a: now + 60, b: now + 60, c: now + 60}},
		{"bad expiry between entries", e(a, now+60) + b + ":EP9T*QA;" + e(c, now+60), map[string]int64{a: now + 60, c: now + 60}},
		{"a marker after damage still deletes", e(a, now+60) + "junk:;" + a + ";", map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, err := driver.LiveIndex([]byte(tt.item), now)
			if err != nil { // damage that reads as a marker of an odd key is no error
				require.ErrorIs(t, err, session.ErrCorruptIndex)
			}
			assert.Equal(t, tt.want, live)
		})
	}
}

func TestScanGoesOnPastDamage(t *testing.T) {
	a := k43('A')
	item := string(driver.AppendIndexEntry(nil, a, 100)) + a + ";" + "garbage;" + a + ";"
	var keys []string
	var exps []int64
	err := driver.ScanIndex([]byte(item), func(key []byte, exp int64) {
		keys = append(keys, string(key))
		exps = append(exps, exp)
	})
	require.NoError(t, err)
	assert.Equal(t, []string{a, a, "garbage", a}, keys, "\"garbage;\" reads as a marker: only unreadable bytes are skipped")
	assert.Equal(t, []int64{100, 0, 0, 0}, exps, "a marker is reported with expiry 0")

	err = driver.ScanIndex([]byte(string(driver.AppendIndexEntry(nil, a, 100))+"X:;"+a+";"), nil)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
	assert.Contains(t, err.Error(), "3 unreadable bytes from byte 52", "the error says where, not what")
}

func TestAppendLive(t *testing.T) {
	live := map[string]int64{k43('B'): 1700000060, k43('A'): 1700003600, "short": 1700000001}
	item, maxExp := driver.AppendLiveIndex([]byte("prefix|"), live)
	assert.Equal(t, int64(1700003600), maxExp)
	require.True(t, strings.HasPrefix(string(item), "prefix|"))
	item = item[len("prefix|"):]
	assert.Equal(t, k43('A')+":EP9TZQA;"+k43('B')+":PPFTZQA;short:AfFTZQA;", string(item), "sorted by key, deterministic")

	got, err := driver.LiveIndex(item, 1700000000)
	require.NoError(t, err)
	assert.Equal(t, live, got)

	empty, maxExp := driver.AppendLiveIndex(nil, nil)
	assert.Empty(t, empty)
	assert.Zero(t, maxExp)
}

func TestCorruptionMatchesTheSessionSentinel(t *testing.T) {
	_, err := driver.LiveIndex([]byte("x"), 0)
	assert.True(t, errors.Is(err, session.ErrCorruptIndex))
	assert.Contains(t, err.Error(), "session: corrupt index")
}

func TestScanNilFuncValidates(t *testing.T) {
	require.NoError(t, driver.ScanIndex([]byte("K:EP9TZQA;K;"), nil))
	require.ErrorIs(t, driver.ScanIndex([]byte("K:EP9"), nil), session.ErrCorruptIndex)
}
