package memcached

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessionstore/sessionstore/session/index"
)

// How index items are kept (contract 4.4 and 4.5).
//
// The item holds lua-resty-session's entries ("key:EXP;" live, "key;"
// deletion marker), optionally preceded by a header: the deletion marker of
// a reserved 43-character pseudo-key that starts with headerMagic and
// carries the exptime this driver last gave the item (Unix seconds, in the
// index's 7-character expiry encoding), padded with '~'. '~' cannot start a
// base64url session key, so the header never names a session; Lua's
// fixed-width parser reads it as the deletion of a key that was never live,
// a no-op, and so does index.Live.
//
// Writers never lower an item's exptime, and never delete the item (an
// index with nothing live is rewritten as a header and expires by itself).
// A rewrite gives it exptime max(header, latest live expiry, new expiry + the
// new session's TTL): it never expires while it lists a live key and
// outlives its last key by at most one TTL. Because the exptime only grows,
// a process that knows the item lives until E may append an entry expiring
// at or before E without reading it first:
//
//   - Fast path (one round trip): a small process-local cache maps an index
//     key to (E, bytes of garbage known to be in the item). If E covers the
//     new entry and the garbage stays under appendLimit, the driver sends
//     one append with all entries of the update ("NEW:EXP;OLD;" for a
//     rotation, "KEY;" for a delete). NOT_STORED (the item is gone) drops
//     the cache entry and takes the slow path. A delete needs no E (a marker
//     needs no lifetime) and does not create a missing item.
//   - Slow path (two round trips): gets. On a miss, add (header + entry).
//     On a hit, if the header covers the new entry and the item holds less
//     than appendLimit bytes of garbage (dead entries, markers, superseded
//     entries), append as above. Otherwise parse it (a corrupt item is
//     dropped: the write repairs it), apply the update, keep only the live
//     entries and cas the compacted item. If the cas loses a race but an
//     append is safe, append instead, so that a busy index never starves a
//     writer (the next write tries to compact again); if not, retry from
//     gets, up to maxCASAttempts times with a short jittered backoff.
//
// No update is lost: appends are atomic on the server, and a rewrite only
// lands if nothing changed since it was read. The item stays small: any
// writer that sees more than appendLimit bytes of garbage compacts it.
//
// Known gaps, shared with lua-resty-session: in a memcached shared with Lua
// nodes, Lua's probabilistic cleanup rewrites the item without the header
// and may shorten its exptime (Lua's own appends have the same gap); Lua's
// cleanup deletes an empty item unguarded; and memcached may evict an index
// under memory pressure like any item.
const (
	headerMagic    = "~ssidx~"
	headerLen      = 43 // a lua-resty-session key's length
	appendLimit    = 2048
	maxCASAttempts = 16
	indexCacheSize = 4096
)

// appendHeader appends the header entry for exptime e.
func appendHeader(dst []byte, e int64) []byte {
	dst = append(dst, headerMagic...)
	dst = index.AppendExpiry(dst, e)
	for range headerLen - len(headerMagic) - index.ExpiryLen {
		dst = append(dst, '~')
	}
	return append(dst, ';')
}

// splitHeader returns the header's exptime (0 without a header) and the
// entries after it.
func splitHeader(item []byte) (int64, []byte, error) {
	if !bytes.HasPrefix(item, []byte(headerMagic)) {
		return 0, item, nil
	}
	if len(item) < headerLen+1 || item[headerLen] != ';' {
		return 0, nil, fmt.Errorf("%w: truncated header", index.ErrCorrupt)
	}
	e, err := index.DecodeExpiry(item[len(headerMagic) : len(headerMagic)+index.ExpiryLen])
	if err != nil {
		return 0, nil, fmt.Errorf("header: %w", err)
	}
	return e, item[headerLen+1:], nil
}

// parseIndex returns the live entries of an index item at now.
func parseIndex(item []byte, now int64) (map[string]int64, error) {
	_, body, err := splitHeader(item)
	if err != nil {
		return nil, err
	}
	return index.Live(body, now)
}

// indexUpdate is one change to an index: key (if set) becomes live until
// expiry, then old (if set) leaves the index.
type indexUpdate struct {
	key    string
	expiry int64 // Unix seconds
	ttl    int64 // the session's TTL, seconds
	old    string
}

func (u indexUpdate) entries() []byte {
	var b []byte
	if u.key != "" {
		b = index.AppendEntry(b, u.key, u.expiry)
	}
	if u.old != "" {
		b = index.AppendTombstone(b, u.old)
	}
	return b
}

var errIndexContention = errors.New("memcached: index update: too many concurrent writers, gave up")

func (s *Storage) updateIndex(ctx context.Context, ik string, u indexUpdate, now time.Time) error {
	payload := u.entries()
	for attempt := range maxCASAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		// Checked on every attempt: after a conflict, the writer that won
		// may have been this process, and then an append is enough.
		if s.idx.canAppend(ik, u, len(payload)) {
			done, err := s.appendIndex(ctx, ik, payload)
			if err != nil || done {
				if done {
					s.idx.appended(ik, len(payload))
				}
				return err
			}
			s.idx.forget(ik) // the item is gone
			if u.key == "" {
				return nil // no index: nothing to delete from, and none is created
			}
		}
		done, err := s.slowUpdate(ctx, ik, u, payload, now)
		if err != nil || done {
			return err
		}
	}
	return errIndexContention
}

// appendIndex appends payload; done is false when the item does not exist.
func (s *Storage) appendIndex(ctx context.Context, ik string, payload []byte) (done bool, err error) {
	err = s.do(ctx, ik, func(c *memcache.Client) error {
		return c.Append(&memcache.Item{Key: ik, Value: payload})
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, memcache.ErrNotStored):
		return false, nil
	}
	return false, s.wireError("index append", err)
}

// slowUpdate is one attempt of the slow path: it reads the item and then
// appends when its header covers the update and it holds little garbage,
// or else rewrites it compacted under compare-and-swap. When the rewrite
// loses a race but an append is safe, it appends instead, so that writers
// are never starved by a busy index (compaction is left to a later write).
// done is false when the attempt must be repeated.
func (s *Storage) slowUpdate(ctx context.Context, ik string, u indexUpdate, payload []byte, now time.Time) (done bool, err error) {
	nowUnix := now.Unix()
	var it *memcache.Item
	err = s.do(ctx, ik, func(c *memcache.Client) error {
		var err error
		it, err = getItem(c, ik)
		return err
	})
	if errors.Is(err, memcache.ErrCacheMiss) {
		if u.key == "" {
			return true, nil
		}
		e := max(u.expiry+u.ttl, nowUnix+1)
		val := appendHeader(nil, e)
		val = index.AppendEntry(val, u.key, u.expiry)
		err = s.do(ctx, ik, func(c *memcache.Client) error {
			return c.Add(&memcache.Item{Key: ik, Value: val, Expiration: exptimeAt(e, now)})
		})
		switch {
		case err == nil:
			s.idx.store(ik, e, 0)
			return true, nil
		case errors.Is(err, memcache.ErrNotStored):
			return false, nil // someone else created it: read it
		}
		return false, s.wireError("index add", err)
	}
	if err != nil {
		return false, s.wireError("index read", err)
	}
	head, body, err := splitHeader(it.Value)
	var live map[string]int64
	if err == nil {
		live, err = index.Live(body, nowUnix)
	}
	corrupt := err != nil
	if corrupt {
		// A corrupt item is replaced: the write repairs it (contract 4.4).
		// A readable header still counts: exptimes never drop.
		live = map[string]int64{}
	}
	if u.key != "" && u.expiry > nowUnix {
		live[u.key] = u.expiry
	}
	if u.old != "" {
		delete(live, u.old)
	}
	e := max(head, nowUnix+1)
	for _, exp := range live {
		e = max(e, exp)
	}
	if u.key != "" {
		e = max(e, u.expiry+u.ttl)
	}
	compacted, _ := index.AppendLive(appendHeader(make([]byte, 0, headerLen+1+len(live)*index.EntryLen(43)), e), live)

	// An append is safe when the item is readable and its header says it
	// outlives the new entry (a marker needs no lifetime).
	appendOK := !corrupt && (u.key == "" || head >= u.expiry)
	garbage := len(it.Value) + len(payload) - len(compacted)
	if appendOK && garbage <= appendLimit {
		done, err := s.appendIndex(ctx, ik, payload)
		if done {
			s.idx.store(ik, head, garbage)
		}
		return done, err
	}

	it.Value, it.Expiration = compacted, exptimeAt(e, now)
	err = s.do(ctx, ik, func(c *memcache.Client) error { return c.CompareAndSwap(it) })
	switch {
	case err == nil:
		s.idx.store(ik, e, 0)
		return true, nil
	case errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss), errors.Is(err, memcache.ErrNotStored):
		if !appendOK {
			return false, nil
		}
		done, err := s.appendIndex(ctx, ik, payload)
		if done {
			// Still over the limit: the next write tries to compact again.
			s.idx.store(ik, head, appendLimit)
		}
		return done, err
	}
	return false, s.wireError("index cas", err)
}

// exptimeAt converts an index exptime for the wire; one beyond memcached's
// range is clamped to its largest absolute time.
func exptimeAt(e int64, now time.Time) int32 {
	x, ok := wireExpiryAt(e, now)
	if !ok {
		return math.MaxInt32
	}
	return x
}

// backoff sleeps a jittered time that doubles with each attempt (from
// about 1 ms, at most 50 ms), or until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	ceil := min(time.Millisecond<<min(attempt, 10), 50*time.Millisecond)
	d := ceil/2 + rand.N(ceil/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("memcached: index update: %w", ctx.Err())
	}
}

// indexCache is the fast path's process-local knowledge of index items.
// It is bounded: when full, an arbitrary entry is dropped, which only costs
// that index one slow-path write.
type indexCache struct {
	mu  sync.Mutex
	m   map[string]indexState
	max int
}

type indexState struct {
	exptime  int64 // the item lives at least until then (Unix seconds)
	appended int   // bytes appended since this process rewrote it
}

func (c *indexCache) canAppend(ik string, u indexUpdate, n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[ik]
	if st.appended+n > appendLimit {
		return false
	}
	// A marker needs no lifetime; a live entry needs the item to outlive it.
	return u.key == "" || st.exptime >= u.expiry
}

func (c *indexCache) appended(ik string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[ik]
	st.appended += n
	c.put(ik, st)
}

func (c *indexCache) store(ik string, exptime int64, appended int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(ik, indexState{exptime: exptime, appended: appended})
}

func (c *indexCache) put(ik string, st indexState) {
	if c.m == nil {
		c.m = make(map[string]indexState)
	}
	if _, ok := c.m[ik]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[ik] = st
}

func (c *indexCache) forget(ik string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, ik)
}
