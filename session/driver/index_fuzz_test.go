package driver_test

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/internal/luaindex"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// The vector of contract 4.4 and lua-resty-session's own shapes seed every
// target.
var (
	vectorKey   = strings.Repeat("K", 43)
	vectorEntry = vectorKey + ":EP9TZQA;"
)

// FuzzLive feeds arbitrary items to the parser: it never panics, reports
// damage as ErrCorruptIndex beside the entries it could read, and what it
// reads survives a re-encoding; garbage put before a sync marker hides
// nothing written after it.
func FuzzLive(f *testing.F) {
	f.Add([]byte(vectorEntry), int64(1700000000))
	f.Add([]byte(vectorEntry+vectorKey+";"), int64(1700000000))
	f.Add([]byte(vectorKey+";"+vectorEntry), int64(1700003600))
	f.Add([]byte("a:APFTZQA;b;a:EP9TZQA;"), int64(0))
	f.Add([]byte(vectorEntry[:30]), int64(0))
	f.Add([]byte(":;"), int64(-1))
	f.Fuzz(func(t *testing.T, item []byte, now int64) {
		live, err := driver.LiveIndex(item, now)
		require.NotNil(t, live)
		if err != nil {
			require.ErrorIs(t, err, session.ErrCorruptIndex)
		}
		var again []byte
		scanErr := driver.ScanIndex(item, func(key []byte, exp int64) {
			require.NotEmpty(t, key)
			require.False(t, strings.ContainsAny(string(key), ":;"))
			require.GreaterOrEqual(t, exp, int64(0))
			require.LessOrEqual(t, exp, int64(driver.MaxIndexExpiry))
			again = driver.AppendIndexEntry(again, string(key), exp)
		})
		require.Equal(t, err == nil, scanErr == nil)
		liveAgain, err := driver.LiveIndex(again, now)
		require.NoError(t, err, "what the parser read is well-formed")
		require.Equal(t, live, liveAgain)
		for _, exp := range live {
			require.Greater(t, exp, now)
			require.Positive(t, exp, "a deletion marker is never live")
		}

		// Whatever the damage, an append that starts with a sync marker
		// is read whole (contract 2.19).
		const k = "appended-after-damage"
		exp := max(now, 0)%driver.MaxIndexExpiry + 1
		damaged := append(slices.Clip(item), strings.Repeat("~", 43)+";"...)
		damaged = driver.AppendIndexEntry(damaged, k, exp)
		got, _ := driver.LiveIndex(damaged, exp-1)
		require.Equal(t, exp, got[k], "an entry appended after damage is found")
	})
}

// entrySpec turns fuzz bytes into a write history: keys from a small pool
// (so that keys repeat), each write a live entry or a deletion marker.
type write struct {
	key string
	exp int64 // 0: deletion marker
}

func writes(keys []string, ops []byte, now int64) []write {
	var out []write
	for i := 0; i+2 < len(ops); i += 3 {
		w := write{key: keys[int(ops[i]&0x7f)%len(keys)]}
		if ops[i]&0x80 == 0 {
			// Expiries around now, so that live, dead and exp == now occur.
			w.exp = min(max(now+int64(int16(uint16(ops[i+1])<<8|uint16(ops[i+2])))/64, 1), driver.MaxIndexExpiry)
		}
		out = append(out, w)
	}
	return out
}

// model is the meaning of a history: the last write per key, live while
// exp > now.
func model(ws []write, now int64) map[string]int64 {
	m := map[string]int64{}
	for _, w := range ws {
		if w.exp > now {
			m[w.key] = w.exp
		} else {
			delete(m, w.key)
		}
	}
	return m
}

// FuzzRoundTrip writes histories of arbitrary indexable keys and checks that
// Live reads back what they mean, and that AppendLive compacts them without
// changing that.
func FuzzRoundTrip(f *testing.F) {
	f.Add(vectorKey+"\nshort\nx", []byte{0, 1, 2, 1, 3, 4, 0x80, 0, 0}, int64(1700000000))
	f.Add("a", []byte{0, 0, 0}, int64(0))
	f.Add("k\n\xff\x00 \n"+strings.Repeat("L", 300), []byte{1, 0xff, 0xff, 2, 0x7f, 0xff, 0x81, 0, 0}, int64(driver.MaxIndexExpiry-1))
	f.Fuzz(func(t *testing.T, keyList string, ops []byte, now int64) {
		now = min(max(now, 0), driver.MaxIndexExpiry)
		var keys []string
		for k := range strings.SplitSeq(keyList, "\n") {
			if k != "" && !strings.ContainsAny(k, ":;") {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return
		}
		ws := writes(keys, ops, now)
		var item []byte
		for _, w := range ws {
			item = driver.AppendIndexEntry(item, w.key, w.exp)
		}
		want := model(ws, now)
		live, err := driver.LiveIndex(item, now)
		require.NoError(t, err)
		require.Equal(t, want, live)

		compact, maxExp := driver.AppendLiveIndex(nil, live)
		got, err := driver.LiveIndex(compact, now)
		require.NoError(t, err)
		require.Equal(t, want, got)
		wantMax := int64(0)
		size := 0
		for k, exp := range want {
			wantMax = max(wantMax, exp)
			size += driver.IndexEntryLen(len(k))
		}
		require.Equal(t, wantMax, maxExp)
		require.Len(t, compact, size, "one live entry per key and nothing else")
	})
}

// luaLatest reads s as lua-resty-session's fixed-width parser does
// (internal/luaindex); ok is false where Lua would fail.
func luaLatest(s string, now int64) (latest map[string]int64, ok bool) {
	latest, err := luaindex.Latest([]byte(s), now)
	return latest, err == nil
}

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// luaKeys makes up to four 43-character base64url keys from seed, as
// lua-resty-session's keys are.
func luaKeys(seed []byte) []string {
	if len(seed) == 0 {
		seed = []byte{0}
	}
	keys := make([]string, 4)
	for i := range keys {
		var b strings.Builder
		for j := range 43 {
			b.WriteByte(b64url[(int(seed[(i*43+j)%len(seed)])+i)%64])
		}
		keys[i] = b.String()
	}
	return keys
}

// FuzzLuaCompat builds items exactly as lua-resty-session writes them
// (meta_get_value: "key:EXP;" and "key;" with 43-character keys) and checks
// that this parser reads them as Lua's fixed-width parser does, and that Lua
// reads what this package writes.
func FuzzLuaCompat(f *testing.F) {
	f.Add([]byte("K"), []byte{0, 0, 0}, int64(1700000000))
	f.Add([]byte("Kx9_-"), []byte{0, 10, 0, 1, 0x10, 0, 0x80, 0, 0, 0, 0xff, 0xff}, int64(1700003600))
	f.Add([]byte{0xff, 0}, []byte{3, 0, 1, 0x83, 0, 0, 3, 0x7f, 0xff}, int64(1))
	f.Fuzz(func(t *testing.T, seed, ops []byte, now int64) {
		now = min(max(now, 0), driver.MaxIndexExpiry)
		ws := writes(luaKeys(seed), ops, now)
		var item strings.Builder
		for _, w := range ws {
			item.WriteString(w.key)
			if w.exp > 0 {
				// Lua's encoding, written independently of AppendExpiry.
				var raw [5]byte
				for j := range raw {
					raw[j] = byte(w.exp >> (8 * j))
				}
				item.WriteString(":" + base64.RawURLEncoding.EncodeToString(raw[:]))
			}
			item.WriteString(";")
		}
		want, ok := luaLatest(item.String(), now)
		require.True(t, ok, "the reference parser reads what Lua writes")
		require.Equal(t, model(ws, now), want, "the reference parser agrees with the model")

		got, err := driver.LiveIndex([]byte(item.String()), now)
		require.NoError(t, err)
		require.Equal(t, want, got, "driver.LiveIndex reads Lua's items as Lua does")

		// The other way: what this package writes, Lua reads.
		var ours []byte
		for _, w := range ws {
			ours = driver.AppendIndexEntry(ours, w.key, w.exp)
		}
		require.Equal(t, item.String(), string(ours), "byte-identical to Lua's entries")
		compact, _ := driver.AppendLiveIndex(nil, got)
		back, ok := luaLatest(string(compact), now)
		require.True(t, ok)
		require.True(t, maps.Equal(want, back), "Lua reads a compacted item")
	})
}

func TestLuaReferenceParser(t *testing.T) {
	// The reference parser itself must be right for the fuzz target to mean
	// anything: the vector of contract 4.4 and Lua's parser quirks.
	got, ok := luaLatest(vectorEntry, 1700000000)
	require.True(t, ok)
	assert.Equal(t, map[string]int64{vectorKey: 1700003600}, got)

	got, ok = luaLatest(vectorEntry+vectorKey+"X", 0) // any non-':' delimiter is a marker
	require.True(t, ok)
	assert.Empty(t, got)

	_, ok = luaLatest(vectorEntry[:40], 0)
	assert.False(t, ok)
	_, ok = luaLatest(vectorKey+":EP9T*QA;", 0)
	assert.False(t, ok)

	keys := luaKeys([]byte("seed"))
	for _, k := range keys {
		assert.Len(t, k, 43)
		assert.Empty(t, strings.Trim(k, b64url))
	}
	assert.NotEqual(t, keys[0], keys[1])
}
