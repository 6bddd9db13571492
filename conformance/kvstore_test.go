package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// kvStore is a small model of a two-item key-value backend such as
// memcached: one keyspace holding session items and lua-resty-session index
// items side by side, named by driver.Naming, where each write is atomic on
// its own but a Set or Delete is several writes. The correct kvStore passes
// the suite (and runs the damaged-index case, which map-based drivers skip);
// its faults break the rules a real key-value driver can get wrong.
type kvStore struct {
	now     func() time.Time
	planner driver.Planner
	faults  kvFaults
	closed  atomic.Bool

	mu    sync.Mutex
	items map[string]*kvItem
	dirty map[string]bool // indexes a read found damaged: the next write rewrites them
}

type kvItem struct {
	value   []byte
	expires time.Time
}

// kvFaults are the deliberate bugs of a broken kvStore.
type kvFaults struct {
	indexBeforeSession bool // Set writes the index entry before the session
	sessionBeforeIndex bool // Delete removes the session before its index entry
	oldBeforeIndex     bool // a rotation shortens the old key before unlisting it
	strictParse        bool // a read stops at the first damaged byte, a repair keeps only what it read
	rawNames           bool // version 1 naming: raw parts joined, ':' accepted in names and keys
}

// syncMarker starts every append: garbage left before it by a torn write
// swallows the marker, never the entry after it (a 43-character key keeps
// Lua's fixed-width reading aligned).
var syncMarker = strings.Repeat("~", 43) + ";"

// compactAt is the size at which an append rewrites an index compacted.
const compactAt = 2048

func newKVStore(now func() time.Time, f kvFaults) *kvStore {
	return &kvStore{now: now, faults: f, items: map[string]*kvItem{}, dirty: map[string]bool{}}
}

// gap widens the window between the two writes that a fault puts in the
// wrong order, as a network round trip would, so that the race that the
// order opens is lost in most rounds rather than a few in a thousand.
func gap() { time.Sleep(200 * time.Microsecond) }

func (s *kvStore) begin(ctx context.Context) error {
	if err := driver.CheckContext(ctx); err != nil {
		return err
	}
	if s.closed.Load() {
		return session.ErrClosed
	}
	return nil
}

func (s *kvStore) sessionItem(name, key string) string {
	if s.faults.rawNames {
		return name + ":" + key
	}
	return s.planner.Naming.SessionItem(name, key)
}

func (s *kvStore) indexItem(name string, p session.Pair) string {
	if s.faults.rawNames {
		return name + ":" + p.Audience + ":" + p.Subject
	}
	return s.planner.Naming.IndexItem(name, p.Audience, p.Subject)
}

// plan checks the arguments; with rawNames it lets ':' through, as version
// 1 did.
func (s *kvStore) plan(check func() error) error {
	err := check()
	if err != nil && s.faults.rawNames && strings.Contains(err.Error(), "must not contain ':'") {
		return nil
	}
	return err
}

func (s *kvStore) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	var p driver.SetPlan
	if err := s.plan(func() (err error) { p, err = s.planner.Set(ctx, name, key, value, ttl, now, opts); return err }); err != nil {
		return err
	}
	if p.Name == "" { // planned by hand for rawNames
		p = driver.SetPlan{Name: name, Key: key, Value: value, TTL: ttl, Now: now, Expiry: driver.ExpiryUnix(now, ttl), Metadata: opts.Metadata}
		if opts.OldKey != "" {
			p.Rotation = driver.Rotation{Key: opts.OldKey, Remember: opts.Remember, StaleTTL: cmpOr(opts.StaleTTL, session.DefaultStaleTTL)}
		}
	}
	clock := s.now()
	writeSession := func() { s.put(s.sessionItem(name, key), bytes.Clone(value), clock.Add(ttl)) }
	writeIndexes := func() {
		for _, pair := range p.Metadata {
			entries := driver.AppendIndexEntry([]byte(syncMarker), key, p.Expiry)
			if r := p.Rotation.Key; r != "" {
				entries = driver.AppendIndexTombstone(entries, r)
			}
			s.appendIndex(s.indexItem(name, pair), entries, p.Expiry, now)
		}
	}
	rotateOld := func() {
		if r := p.Rotation; r.Key != "" {
			if r.Remember {
				s.remove(s.sessionItem(name, r.Key))
			} else {
				s.shorten(s.sessionItem(name, r.Key), clock.Add(r.StaleTTL))
			}
		}
	}
	switch {
	case s.faults.indexBeforeSession:
		writeIndexes()
		gap()
		writeSession()
		rotateOld()
	case s.faults.oldBeforeIndex:
		writeSession()
		rotateOld()
		gap()
		writeIndexes()
	default:
		writeSession()
		writeIndexes()
		rotateOld()
	}
	return nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (s *kvStore) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if err := s.plan(func() error { _, err := s.planner.Get(ctx, name, key); return err }); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[s.sessionItem(name, key)]
	if !ok || !s.now().Before(it.expires) {
		return nil, session.ErrNotFound
	}
	return bytes.Clone(it.value), nil
}

func (s *kvStore) Delete(ctx context.Context, name, key string, now time.Time, md []session.Pair) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := s.plan(func() error { _, err := s.planner.Delete(ctx, name, key, now, md); return err }); err != nil {
		return err
	}
	unlist := func() {
		for _, pair := range md {
			s.appendIndex(s.indexItem(name, pair), driver.AppendIndexTombstone([]byte(syncMarker), key), 0, now)
		}
	}
	remove := func() { s.remove(s.sessionItem(name, key)) }
	if s.faults.sessionBeforeIndex {
		remove()
		gap()
		unlist()
		return nil
	}
	unlist()
	remove()
	return nil
}

func (s *kvStore) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if err := s.plan(func() error { _, err := s.planner.ReadMetadata(ctx, name, audience, subject, now); return err }); err != nil {
		return nil, err
	}
	ik := s.indexItem(name, session.Pair{Audience: audience, Subject: subject})
	s.mu.Lock()
	defer s.mu.Unlock()
	var raw []byte
	if it, ok := s.items[ik]; ok && s.now().Before(it.expires) {
		raw = it.value
	}
	live, err := s.parse(raw, now.Unix())
	if err != nil {
		s.dirty[ik] = true
	}
	out := make(map[string]time.Time, len(live))
	for k, exp := range live {
		out[k] = time.Unix(exp, 0)
	}
	return out, err
}

// parse reads an index: resilient, or with strictParse only up to the
// first damage.
func (s *kvStore) parse(raw []byte, now int64) (map[string]int64, error) {
	live, err := driver.LiveIndex(raw, now)
	if err == nil || !s.faults.strictParse {
		return live, err
	}
	strict := map[string]int64{}
	for off := 0; off < len(raw); {
		end := bytes.IndexByte(raw[off:], ';')
		if end < 0 {
			break
		}
		entry := raw[off : off+end+1]
		l, err := driver.LiveIndex(entry, -1)
		if err != nil {
			break // everything after the damage is lost
		}
		maps.Copy(strict, l)
		if len(l) == 0 {
			key, _, _ := strings.Cut(string(entry[:len(entry)-1]), ":")
			delete(strict, key)
		}
		off += end + 1
	}
	maps.DeleteFunc(strict, func(_ string, exp int64) bool { return exp <= now })
	return strict, err
}

func (s *kvStore) Close() error {
	s.closed.Store(true)
	return nil
}

func (s *kvStore) put(item string, value []byte, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[item] = &kvItem{value: value, expires: expires}
}

func (s *kvStore) remove(item string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, item)
}

// shorten makes an existing item expire at t unless it expires sooner.
func (s *kvStore) shorten(item string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it, ok := s.items[item]; ok && t.Before(it.expires) {
		it.expires = t
	}
}

// appendIndex appends entries to an index item in one atomic write, as
// memcached's append does; the item lives until the latest expiry it lists.
// An index that a read found damaged, or that has grown, is rewritten with
// only its live entries.
func (s *kvStore) appendIndex(ik string, entries []byte, expiry int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[ik]
	if !ok || !s.now().Before(it.expires) {
		if expiry <= 0 {
			return // a marker needs no index
		}
		it = &kvItem{}
		s.items[ik] = it
	}
	it.value = append(it.value, entries...)
	if end := time.Unix(expiry, 0); end.After(it.expires) {
		it.expires = end
	}
	if s.dirty[ik] || len(it.value) > compactAt {
		live, _ := s.parse(it.value, now.Unix())
		it.value, _ = driver.AppendLiveIndex(nil, live)
		delete(s.dirty, ik)
	}
}

// damageIndex appends a torn write: bytes no parser understands, without a
// closing ';'. It implements Harness.DamageIndex.
func (s *kvStore) damageIndex(name, audience, subject string) error {
	ik := s.indexItem(name, session.Pair{Audience: audience, Subject: subject})
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[ik]
	if !ok {
		return fmt.Errorf("no index to damage")
	}
	it.value = append(it.value, "\xff\xfetorn:EP9"...)
	return nil
}

// indexSize is the stored size of an index while it lives; it implements
// Capabilities.IndexSize.
func (s *kvStore) indexSize(name, audience, subject string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[s.indexItem(name, session.Pair{Audience: audience, Subject: subject})]
	if !ok || !s.now().Before(it.expires) {
		return 0
	}
	return len(it.value)
}
