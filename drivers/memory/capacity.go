package memory

import (
	"sync/atomic"
)

// sweepIfExpired sweeps unless no session can have expired at clock, so that
// a full Store does not rescan itself on every refused Set.
func (s *Store) sweepIfExpired(clock int64) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if s.minExp.Load() <= clock {
		s.sweepLocked()
	}
}

// reserve counts one more session item, or reports false when the cap is
// reached.
func (s *Store) reserve() bool {
	if s.maxEntries <= 0 {
		s.count.Add(1)
		return true
	}
	for {
		n := s.count.Load()
		if n >= int64(s.maxEntries) {
			return false
		}
		if s.count.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// noteExpiry lowers minExp to exp; only a capped Store needs it.
func (s *Store) noteExpiry(exp int64) {
	if s.maxEntries <= 0 {
		return
	}
	lowerTo(&s.minExp, exp)
}

func lowerTo(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if x >= cur || v.CompareAndSwap(cur, x) {
			return
		}
	}
}
