package mapdriver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Store is a session.Storage kept in Go maps behind one RWMutex. The zero
// value is not usable; call New.
type Store struct {
	now     func() time.Time // decides item expiry; the conformance suite injects a fake clock
	planner driver.Planner   // the shared argument rules and expiries

	mu      sync.RWMutex
	closed  bool
	items   map[itemKey]item
	indexes map[indexKey]map[string]int64 // session key -> listed expiry, Unix seconds
	writes  int                           // Sets since the last sweep of expired items
}

type itemKey struct{ name, key string }

// indexKey is the index of one (name, audience, subject). A struct of the
// plain strings keeps every pair apart without encoding anything; drivers
// that name items in a shared keyspace use driver.Naming instead.
type indexKey struct{ name, audience, subject string }

type item struct {
	value   []byte
	expires time.Time
}

// sweepEvery is how many Sets pass between two sweeps of expired items, so
// that a store nobody reads from again does not grow without bound.
const sweepEvery = 1024

// New returns an empty Store. now is the clock that decides when an item has
// expired; nil means time.Now.
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, items: map[itemKey]item{}, indexes: map[indexKey]map[string]int64{}}
}

var _ session.Storage = (*Store)(nil)

// Set implements session.Storage.
func (s *Store) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	// The shared rules first: every driver rejects the same inputs with the
	// same errors, and nothing is written when an argument is wrong.
	p, err := s.planner.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return fmt.Errorf("mapdriver: set: %w", err)
	}
	clock := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("mapdriver: set: %w", session.ErrClosed)
	}

	// One lock makes the whole Set atomic; a store without one follows the
	// plan's order: session, indexes, old key.
	// Copy the value: the caller may reuse its buffer.
	s.items[itemKey{p.Name, p.Key}] = item{value: slices.Clone(p.Value), expires: clock.Add(p.TTL)}
	for _, pair := range p.Metadata {
		idx := s.index(indexKey{p.Name, pair.Audience, pair.Subject}, now)
		idx[p.Key] = p.Expiry
		if r := p.Rotation; r.Key != "" {
			delete(idx, r.Key)
		}
	}
	if r := p.Rotation; r.Key != "" {
		old := itemKey{p.Name, r.Key}
		if it, ok := s.items[old]; ok && clock.Before(it.expires) {
			// Keep the old key for the grace period, but never longer than it
			// would have lived anyway; a missing old key is not created.
			if stale := clock.Add(r.StaleTTL); r.Remember {
				delete(s.items, old)
			} else if stale.Before(it.expires) {
				it.expires = stale
				s.items[old] = it
			}
		}
	}
	if s.writes++; s.writes >= sweepEvery {
		s.writes = 0
		maps.DeleteFunc(s.items, func(_ itemKey, it item) bool { return !clock.Before(it.expires) })
	}
	return nil
}

// index returns the index of k, created if missing, with the entries that
// expired by now dropped, so that an index never grows past its live keys.
func (s *Store) index(k indexKey, now time.Time) map[string]int64 {
	idx := s.indexes[k]
	if idx == nil {
		idx = map[string]int64{}
		s.indexes[k] = idx
	}
	maps.DeleteFunc(idx, func(_ string, exp int64) bool { return exp <= now.Unix() })
	return idx
}

// Get implements session.Storage.
func (s *Store) Get(ctx context.Context, name, key string) ([]byte, error) {
	p, err := s.planner.Get(ctx, name, key)
	if err != nil {
		return nil, fmt.Errorf("mapdriver: get: %w", err)
	}
	clock := s.now()
	s.mu.RLock()
	it, ok := s.items[itemKey{p.Name, p.Key}]
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("mapdriver: get: %w", session.ErrClosed)
	}
	if !ok || !clock.Before(it.expires) {
		// The error names neither the key nor the value: a session key is a
		// bearer credential.
		return nil, fmt.Errorf("mapdriver: get: %w", session.ErrNotFound)
	}
	return slices.Clone(it.value), nil
}

// Delete implements session.Storage.
func (s *Store) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	p, err := s.planner.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return fmt.Errorf("mapdriver: delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("mapdriver: delete: %w", session.ErrClosed)
	}
	// The plan's order: out of the indexes first, then the session.
	for _, pair := range p.Metadata {
		k := indexKey{p.Name, pair.Audience, pair.Subject}
		idx := s.index(k, p.Now)
		delete(idx, p.Key)
		if len(idx) == 0 {
			delete(s.indexes, k)
		}
	}
	delete(s.items, itemKey{p.Name, p.Key}) // a missing key is not an error
	return nil
}

// ReadMetadata implements session.Storage.
func (s *Store) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	p, err := s.planner.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, fmt.Errorf("mapdriver: read metadata: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("mapdriver: read metadata: %w", session.ErrClosed)
	}
	live := map[string]time.Time{}
	for key, exp := range s.indexes[indexKey{p.Name, p.Audience, p.Subject}] {
		if p.Live(exp) { // strictly after now: an entry expiring at now is gone
			live[key] = time.Unix(exp, 0)
		}
	}
	return live, nil
}

// Close drops every session. It is idempotent; any call after it fails with
// session.ErrClosed. A driver that holds connections or goroutines releases
// them here.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.items, s.indexes = nil, nil
	return nil
}
