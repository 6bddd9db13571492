package memory

import (
	"fmt"
	"strings"
	"sync"

	"github.com/sessionstore/sessionstore/session"
)

// shard holds the sessions whose key hashes to it, grouped by cookie name.
type shard struct {
	mu    sync.RWMutex
	names map[string]*table
	_     [64 - 24 - 8]byte // keep neighbouring shards' locks on separate cache lines
}

// store writes one session item, reserving room for it if it is new.
func (s *Store) store(name, key string, value []byte, exp, clock int64) error {
	h := s.hash(key)
	sh := s.shard(h)
	v := copyValue(value) // outside the lock
	for attempt := 0; ; attempt++ {
		sh.mu.Lock()
		t := sh.names[name]
		if t != nil {
			if cur, ok := t.get(h, key); ok {
				// An expired item still holds its reservation, so
				// overwriting it needs none.
				t.put(h, key, newItem(key, v, exp, cur.rec))
				sh.mu.Unlock()
				s.noteExpiry(exp)
				return nil
			}
		}
		if s.reserve() {
			if t == nil {
				t = newTable()
				sh.names[strings.Clone(name)] = t
			}
			t.put(h, key, newItem(key, v, exp, nil))
			sh.mu.Unlock()
			s.noteExpiry(exp)
			return nil
		}
		sh.mu.Unlock()
		if attempt > 0 {
			return fmt.Errorf("%d entries held, none expired: %w", s.maxEntries, session.ErrFull)
		}
		s.sweepIfExpired(clock)
	}
}

// shorten makes (name, key) expire at exp unless it expires sooner already.
// A missing key is not created (contract 2.5).
func (s *Store) shorten(name, key string, exp int64) {
	h := s.hash(key)
	sh := s.shard(h)
	sh.mu.Lock()
	if t := sh.names[name]; t != nil {
		if it, ok := t.get(h, key); ok && exp < it.exp {
			it.exp = exp
			t.put(h, key, it)
		}
	}
	sh.mu.Unlock()
	s.noteExpiry(exp)
}

// remove deletes (name, key) if it is held.
func (s *Store) remove(name, key string) {
	h := s.hash(key)
	sh := s.shard(h)
	sh.mu.Lock()
	s.removeLocked(sh, name, key, h)
	sh.mu.Unlock()
}

func (s *Store) removeLocked(sh *shard, name, key string, h uint64) {
	t := sh.names[name]
	if t == nil || !t.del(h, key, s.hash) {
		return
	}
	s.count.Add(-1)
	if t.len() == 0 {
		delete(sh.names, name)
	}
}
