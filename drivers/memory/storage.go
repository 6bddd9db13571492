package memory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// The four operations. Sessions and indexes sit behind different locks, so
// each operation follows the write order of contract 2.17: Set writes the
// session before its index entries and takes a rotated-away key out of the
// indexes before it shortens or deletes it; Delete takes the key out of
// the indexes before it deletes the session. Under any interleaving, a
// session Get can return is then listed, bar the grace period of a rotated
// key.

// Set implements session.Storage.
func (s *Store) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := s.begin(ctx, "set"); err != nil {
		return err
	}
	p, err := s.planner.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return fmt.Errorf("memory: set: %w", err)
	}
	clock := s.clock()
	if err := s.store(p.Name, p.Key, p.Value, addNanos(clock, p.TTL), clock); err != nil {
		return fmt.Errorf("memory: set: %w", err)
	}
	nowUnix := now.Unix()
	old := p.Rotation.Key
	for _, pair := range p.Metadata {
		s.updateIndex(indexKey{p.Name, pair.Audience, pair.Subject}, nowUnix, true, func(ix *index) {
			if _, ok := ix.keys[p.Key]; ok {
				ix.keys[p.Key] = p.Expiry
			} else {
				// Clone: key may be a slice of a larger string the caller
				// no longer needs.
				ix.keys[strings.Clone(p.Key)] = p.Expiry
			}
			if old != "" {
				delete(ix.keys, old)
			}
		})
	}
	if old != "" {
		if p.Rotation.Remember {
			s.remove(p.Name, old)
		} else {
			s.shorten(p.Name, old, addNanos(clock, p.Rotation.StaleTTL))
		}
	}
	return nil
}

// Get implements session.Storage. The returned slice is the caller's own.
func (s *Store) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := s.begin(ctx, "get"); err != nil {
		return nil, err
	}
	if _, err := s.planner.Get(ctx, name, key); err != nil {
		return nil, fmt.Errorf("memory: get: %w", err)
	}
	h := s.hash(key)
	sh := s.shard(h)
	var it item
	ok := false
	sh.mu.RLock()
	if t := sh.names[name]; t != nil {
		it, ok = t.get(h, key)
	}
	sh.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("memory: get: %w", session.ErrNotFound)
	}
	if clock := s.clock(); clock >= it.exp {
		// Free it now rather than at the next sweep, unless it was
		// rewritten meanwhile.
		sh.mu.Lock()
		if t := sh.names[name]; t != nil {
			if cur, ok := t.get(h, key); ok && clock >= cur.exp {
				s.removeLocked(sh, name, key, h)
			}
		}
		sh.mu.Unlock()
		return nil, fmt.Errorf("memory: get: %w", session.ErrNotFound)
	}
	// The stored bytes are never written, so they are copied after the
	// lock is released.
	return append([]byte{}, it.value()...), nil
}

// Delete implements session.Storage.
func (s *Store) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if err := s.begin(ctx, "delete"); err != nil {
		return err
	}
	p, err := s.planner.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return fmt.Errorf("memory: delete: %w", err)
	}
	nowUnix := now.Unix()
	for _, pair := range p.Metadata {
		s.updateIndex(indexKey{p.Name, pair.Audience, pair.Subject}, nowUnix, false, func(ix *index) {
			delete(ix.keys, p.Key)
		})
	}
	s.remove(p.Name, p.Key)
	return nil
}

// ReadMetadata implements session.Storage.
func (s *Store) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := s.begin(ctx, "read metadata"); err != nil {
		return nil, err
	}
	p, err := s.planner.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, fmt.Errorf("memory: read metadata: %w", err)
	}
	k := indexKey{p.Name, p.Audience, p.Subject}
	sh := s.indexShard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ix := sh.indexes[k]
	if ix == nil {
		return map[string]time.Time{}, nil
	}
	live := make(map[string]time.Time, len(ix.keys))
	for key, exp := range ix.keys {
		if p.Live(exp) {
			live[key] = time.Unix(exp, 0)
		}
	}
	return live, nil
}
