package mapdriver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// Store is a session.Storage kept in Go maps behind one RWMutex. The zero
// value is not usable; call New.
type Store struct {
	now func() time.Time // decides item expiry; the conformance suite injects a fake clock

	mu      sync.RWMutex
	closed  bool
	items   map[itemKey]item
	indexes map[indexKey]map[string]int64 // session key -> expiry, Unix seconds
	writes  int                           // Sets since the last sweep of expired items
}

type itemKey struct{ name, key string }

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
	if err := session.CheckContext(ctx); err != nil {
		return fmt.Errorf("mapdriver: set: %w", err)
	}
	if err := session.CheckSet(name, key, ttl, opts); err != nil {
		return fmt.Errorf("mapdriver: set: %w", err)
	}
	clock := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("mapdriver: set: %w", session.ErrClosed)
	}

	// Copy the value: the caller may reuse its buffer.
	s.items[itemKey{name, key}] = item{value: slices.Clone(value), expires: clock.Add(ttl)}
	if opts.OldKey != "" {
		old := itemKey{name, opts.OldKey}
		if it, ok := s.items[old]; ok && clock.Before(it.expires) {
			// Keep the old key for the grace period, but never longer than it
			// would have lived anyway; a missing old key is not created.
			if stale := clock.Add(opts.EffectiveStaleTTL()); opts.Remember {
				delete(s.items, old)
			} else if stale.Before(it.expires) {
				it.expires = stale
				s.items[old] = it
			}
		}
	}
	exp := session.ExpiryUnix(now, ttl)
	for _, p := range opts.Metadata {
		idx := s.index(indexKey{name, p.Audience, p.Subject}, now)
		idx[key] = exp
		if opts.OldKey != "" {
			delete(idx, opts.OldKey)
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
	if err := session.CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("mapdriver: get: %w", err)
	}
	if err := session.CheckGet(name, key); err != nil {
		return nil, fmt.Errorf("mapdriver: get: %w", err)
	}
	clock := s.now()
	s.mu.RLock()
	it, ok := s.items[itemKey{name, key}]
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
	if err := session.CheckContext(ctx); err != nil {
		return fmt.Errorf("mapdriver: delete: %w", err)
	}
	if err := session.CheckDelete(name, key, metadata); err != nil {
		return fmt.Errorf("mapdriver: delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("mapdriver: delete: %w", session.ErrClosed)
	}
	delete(s.items, itemKey{name, key}) // a missing key is not an error
	for _, p := range metadata {
		k := indexKey{name, p.Audience, p.Subject}
		idx := s.index(k, now)
		delete(idx, key)
		if len(idx) == 0 {
			delete(s.indexes, k)
		}
	}
	return nil
}

// ReadMetadata implements session.Storage.
func (s *Store) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := session.CheckContext(ctx); err != nil {
		return nil, fmt.Errorf("mapdriver: read metadata: %w", err)
	}
	if err := session.CheckReadMetadata(name, audience, subject); err != nil {
		return nil, fmt.Errorf("mapdriver: read metadata: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("mapdriver: read metadata: %w", session.ErrClosed)
	}
	live := map[string]time.Time{}
	for key, exp := range s.indexes[indexKey{name, audience, subject}] {
		if exp > now.Unix() { // strictly: an entry expiring at now is gone
			live[key] = time.Unix(exp, 0)
		}
	}
	return live, nil
}

// Close drops every session. It is idempotent; any call after it fails with
// session.ErrClosed. A driver that holds connections or goroutines releases
// them here; the conformance suite checks this behaviour when a Storage has
// a Close() error method.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.items, s.indexes = nil, nil
	return nil
}
