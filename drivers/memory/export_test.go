package memory

import "github.com/sessionstore/sessionstore/session/driver"

// WithCollidingHashes makes the Store's key hashes take two values only, so
// that almost every key collides and the collision path is what runs.
func WithCollidingHashes() Option {
	return func(c *config) { c.hashMask = 1 }
}

// Sweep runs one sweep now and returns the number of sessions it freed.
func Sweep(s *Store) int { return s.sweep() }

// IndexEntries returns how many entries the index of (name, audience,
// subject) holds, dead ones included.
func IndexEntries(s *Store, name, audience, subject string) int {
	k := indexKey{name, audience, subject}
	sh := s.indexShard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if ix := sh.indexes[k]; ix != nil {
		return len(ix.keys)
	}
	return 0
}

// IndexBytes returns the bytes that the entries of the index of (name,
// audience, subject) still alive by the Store's clock would take in the
// lua-resty-session format. Entries dead by that clock count as gone, as an
// expired memcached item does: no read sees them, and the sweeper or the
// next write frees their memory.
func IndexBytes(s *Store, name, audience, subject string) int {
	k := indexKey{name, audience, subject}
	clock := s.now().Unix()
	sh := s.indexShard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ix := sh.indexes[k]
	if ix == nil {
		return 0
	}
	bytes := 0
	for key, exp := range ix.keys {
		if exp > clock {
			bytes += driver.IndexEntryLen(len(key))
		}
	}
	return bytes
}

// Indexes returns how many indexes the Store holds.
func Indexes(s *Store) int {
	n := 0
	for i := range s.indexes {
		s.indexes[i].mu.Lock()
		n += len(s.indexes[i].indexes)
		s.indexes[i].mu.Unlock()
	}
	return n
}
