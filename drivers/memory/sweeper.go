package memory

import (
	"math"
	"time"
	"weak"
)

func sweeper(store weak.Pointer[Store], every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s := store.Value()
			if s == nil {
				return
			}
			s.sweep()
		}
	}
}

// sweep frees expired sessions and index entries, one shard at a time so
// that no lock is held for long. It returns the number of sessions freed.
func (s *Store) sweep() int {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	return s.sweepLocked()
}

func (s *Store) sweepLocked() int {
	// Index expiries are wall-clock seconds (the callers' now).
	var nanos, secs int64
	if s.monotonic {
		nanos, secs = s.clock(), time.Now().Unix()
	} else {
		t := s.now()
		nanos, secs = t.UnixNano(), t.Unix()
	}
	capped := s.maxEntries > 0
	if capped {
		// Recomputed below; Sets that land in shards already swept lower
		// it themselves.
		s.minExp.Store(math.MaxInt64)
	}
	freed := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		least := int64(math.MaxInt64)
		for name, t := range sh.names {
			for h, it := range t.items {
				if nanos >= it.exp {
					delete(t.items, h)
					freed++
				} else {
					least = min(least, it.exp)
				}
			}
			for k, it := range t.spill {
				if nanos >= it.exp {
					delete(t.spill, k)
					freed++
				} else {
					least = min(least, it.exp)
				}
			}
			if t.spill != nil {
				t.unspill(s.hash)
			}
			if t.len() == 0 {
				delete(sh.names, name)
			}
		}
		sh.mu.Unlock()
		if capped {
			lowerTo(&s.minExp, least)
		}
	}
	s.count.Add(int64(-freed))
	for i := range s.indexes {
		sh := &s.indexes[i]
		sh.mu.Lock()
		for k, ix := range sh.indexes {
			ix.pruneDead(secs)
			if len(ix.keys) == 0 {
				delete(sh.indexes, k)
			}
		}
		sh.mu.Unlock()
	}
	return freed
}

// addNanos returns t+d, saturating instead of overflowing.
func addNanos(t int64, d time.Duration) int64 {
	if d > 0 && t > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return t + int64(d)
}
