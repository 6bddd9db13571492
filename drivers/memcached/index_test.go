package memcached

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// The index logic against a fake memcached: appends, reads and rewrites of
// one index item, damage, races and limits.

const ik = "idx"

// key43 returns a lua-resty-session-like key: 43 characters.
func key43(c byte) string { return strings.Repeat(string(c), 43) }

func entryOf(key string, exp int64) string { return string(driver.AppendIndexEntry(nil, key, exp)) }

var indexNow = time.Unix(1_700_000_000, 0)

func newIndexer() (*indexer, *fakeMemcached) {
	f := newFake()
	return &indexer{rt: f}, f
}

func TestBlindAppendStartsWithSyncMarker(t *testing.T) {
	x, f := newIndexer()
	ctx, now := t.Context(), indexNow.Unix()
	a, b := key43('a'), key43('b')
	require.NoError(t, x.apply(ctx, ik, change{key: a, expiry: now + 60, ttl: 60}, indexNow))
	created, _ := f.value(ik)
	assert.Equal(t, string(appendHeader(nil, now+120))+entryOf(a, now+60), created, "created with add: header, entry")

	_, mark := f.requests(0)
	require.NoError(t, x.apply(ctx, ik, change{key: b, expiry: now + 60, ttl: 60, old: a}, indexNow))
	log, _ := f.requests(mark)
	assert.Equal(t, []string{"append " + ik}, log, "the cached index takes one append")
	item, _ := f.value(ik)
	assert.Equal(t, created+string(appendHeader(nil, now+120))+entryOf(b, now+60)+a+";", item,
		"the append starts with the header as its sync marker")
}

func TestSyncMarkerSurvivesATornWrite(t *testing.T) {
	x, f := newIndexer()
	ctx, now := t.Context(), indexNow.Unix()
	a, b := key43('a'), key43('b')
	require.NoError(t, x.apply(ctx, ik, change{key: a, expiry: now + 60, ttl: 60}, indexNow))
	item, _ := f.value(ik)
	// Torn writes of another writer: half an entry, garbage without ';'.
	for _, torn := range []string{b[:20], a + ":EP9T", "\xff\xfe:"} {
		f.put(ik, item+torn)
		require.NoError(t, x.apply(ctx, ik, change{key: b, expiry: now + 60, ttl: 60}, indexNow))
		live, err := x.read(ctx, ik, indexNow)
		if err != nil { // garbage and marker may also read as the marker of a key that never lived
			require.ErrorIs(t, err, session.ErrCorruptIndex, "torn %q", torn)
		}
		assert.Equal(t, map[string]int64{a: now + 60, b: now + 60}, live,
			"torn %q: the marker is swallowed, the entry after it is read", torn)
		x.cache.store(ik, now+120, 0) // the writer still trusts its cache
	}
}

func TestDamagedItemIsRewrittenWithEveryEntry(t *testing.T) {
	x, f := newIndexer()
	ctx, now := t.Context(), indexNow.Unix()
	a, b, c, d := key43('a'), key43('b'), key43('c'), key43('d')
	damaged := string(appendHeader(nil, now+600)) + entryOf(a, now+60) + "\xff\xfegarbage;" +
		entryOf(b, now+60) + "torn:EP9" + string(appendHeader(nil, now+600)) + entryOf(c, now+60) + "junk"
	f.put(ik, damaged)

	live, err := x.read(ctx, ik, indexNow)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
	assert.Equal(t, map[string]int64{a: now + 60, b: now + 60, c: now + 60}, live, "the damage hides no well-formed entry")

	_, mark := f.requests(0)
	require.NoError(t, x.apply(ctx, ik, change{key: d, expiry: now + 60, ttl: 60}, indexNow))
	log, _ := f.requests(mark)
	assert.Equal(t, []string{"get " + ik, "cas " + ik}, log, "a damaged item is read and rewritten whole, never appended to")
	live, err = x.read(ctx, ik, indexNow)
	require.NoError(t, err, "repaired")
	assert.Equal(t, map[string]int64{a: now + 60, b: now + 60, c: now + 60, d: now + 60}, live, "the repair dropped no live entry")
	item, _ := f.value(ik)
	assert.Equal(t, now+600, leadingHeader([]byte(item)), "the repair keeps the recorded exptime")
}

func TestDamagedHeaderIsRepaired(t *testing.T) {
	x, f := newIndexer()
	ctx, now := t.Context(), indexNow.Unix()
	a, b := key43('a'), key43('b')
	f.put(ik, headerMagic+":!!!!!!!;"+entryOf(a, now+60))
	live, err := x.read(ctx, ik, indexNow)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
	assert.Equal(t, map[string]int64{a: now + 60}, live)
	require.NoError(t, x.apply(ctx, ik, change{key: b, expiry: now + 60, ttl: 60}, indexNow))
	live, err = x.read(ctx, ik, indexNow)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{a: now + 60, b: now + 60}, live)
}

func TestLostCASFallsBackToAppend(t *testing.T) {
	x, f := newIndexer()
	ctx, now := t.Context(), indexNow.Unix()
	a, b, c := key43('a'), key43('b'), key43('c')
	// An item with a header that covers the entry, and more garbage than
	// appendLimit: the writer compacts it, and loses the race once.
	garbage := strings.Repeat(a+";", appendLimit/44+1)
	f.put(ik, string(appendHeader(nil, now+600))+garbage+entryOf(b, now+60))
	raced := false
	f.before = func(cmd, _ string) {
		if cmd == "cas" && !raced {
			raced = true
			f.put(ik, string(appendHeader(nil, now+600))+garbage+entryOf(b, now+60)+entryOf(a, now+60))
		}
	}
	require.NoError(t, x.apply(ctx, ik, change{key: c, expiry: now + 60, ttl: 60}, indexNow))
	log, _ := f.requests(0)
	assert.Equal(t, []string{"get " + ik, "cas " + ik, "append " + ik}, log)
	live, err := x.read(ctx, ik, indexNow)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{a: now + 60, b: now + 60, c: now + 60}, live, "the racing writer's entry is kept")
}

func TestGarbageIsCompacted(t *testing.T) {
	x, f := newIndexer()
	ctx, now := t.Context(), indexNow.Unix()
	prev := ""
	for i := range 500 {
		k := strings.Repeat("k", 40) + string(rune('A'+i%26)) + string(rune('A'+i/26%26)) + "x"
		require.NoError(t, x.apply(ctx, ik, change{key: k, expiry: now + 60, ttl: 60, old: prev}, indexNow))
		prev = k
		item, _ := f.value(ik)
		require.LessOrEqual(t, len(item), headerLen+1+52+appendLimit+2*(headerLen+1+52+44), "rotation %d", i)
	}
	live, err := x.read(ctx, ik, indexNow)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{prev: now + 60}, live)
}

func TestMarkerOnMissingIndexCreatesNothing(t *testing.T) {
	x, f := newIndexer()
	require.NoError(t, x.apply(t.Context(), ik, change{old: key43('a')}, indexNow))
	_, ok := f.value(ik)
	assert.False(t, ok)
}

func TestIndexFull(t *testing.T) {
	x, f := newIndexer()
	now := indexNow.Unix()
	f.put(ik, entryOf(key43('a'), now+60))
	f.fail["cas"] = &itemTooLargeError{maxValue: 100}
	err := x.apply(t.Context(), ik, change{key: key43('b'), expiry: now + 60, ttl: 60}, indexNow)
	require.ErrorIs(t, err, errIndexFull)
	assert.NotErrorIs(t, err, session.ErrInvalidArgument, "the index is not the caller's argument")
}

func TestIndexContention(t *testing.T) {
	x, f := newIndexer()
	now := indexNow.Unix()
	f.put(ik, "damaged")
	f.fail["cas"] = errConflict
	err := x.apply(t.Context(), ik, change{key: key43('b'), expiry: now + 60, ttl: 60}, indexNow)
	require.ErrorIs(t, err, errIndexContention)
	log, _ := f.requests(0)
	assert.Len(t, log, 2*maxCASAttempts, "bounded: a read and a rewrite per attempt")
}

func TestLeadingHeader(t *testing.T) {
	h := string(appendHeader(nil, 1_700_003_600))
	assert.Equal(t, int64(1_700_003_600), leadingHeader([]byte(h+"rest")))
	for _, bad := range []string{"", h[:43], "x" + h, h[:40] + "~x~;", strings.Replace(h, "~~", "~!", 1)} {
		assert.Zero(t, leadingHeader([]byte(bad)), "%q", bad)
	}
}

func TestExptimeAt(t *testing.T) {
	now := indexNow
	for _, tt := range []struct {
		expiry int64
		want   int32
	}{
		{now.Unix() - 5, 1},   // past: the shortest life, never 0 ("forever")
		{now.Unix() + 60, 60}, // relative
		{now.Unix() + 2_592_000, 2_592_000},
		{now.Unix() + 2_592_001, int32(now.Unix() + 2_592_001)}, // absolute beyond 30 days
		{1 << 40, math.MaxInt32},                                // beyond 2038: memcached's last second
	} {
		assert.Equal(t, tt.want, exptimeAt(tt.expiry, now), "expiry %d", tt.expiry)
	}
}
