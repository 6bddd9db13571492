package memory

import idx "github.com/sessionstore/sessionstore/session/index"

// Sweep runs one sweep now and returns the number of sessions it freed.
func Sweep(s *Store) int { return s.sweep() }

// IndexEntries returns how many entries the index of (name, audience,
// subject) holds, dead ones included, and the bytes they would take in the
// lua-resty-session index format.
func IndexEntries(s *Store, name, audience, subject string) (entries, bytes int) {
	k := indexKey{name, audience, subject}
	sh := s.indexShard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ix := sh.indexes[k]
	if ix == nil {
		return 0, 0
	}
	for key := range ix.keys {
		bytes += idx.EntryLen(len(key))
	}
	return len(ix.keys), bytes
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
