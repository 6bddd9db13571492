package memory

import (
	"strings"
	"sync"
)

type indexKey struct {
	name, audience, subject string
}

// index lists the sessions of one (name, audience, subject): key → expiry in
// Unix seconds, the caller's clock (contract 2.7).
type index struct {
	keys map[string]int64
	// prune is the size at which the next write prunes expired entries, so
	// that pruning is amortised O(1) and the index stays within twice its
	// live size.
	prune int
}

type indexShard struct {
	mu      sync.Mutex
	indexes map[indexKey]*index
	_       [64 - 8 - 8]byte
}

// updateIndex runs fn on the index of k under its shard's lock, then prunes
// entries dead at now when the index has grown, and drops the index once it
// is empty. A missing index is created when create is set, else fn is not
// run.
func (s *Store) updateIndex(k indexKey, now int64, create bool, fn func(*index)) {
	sh := s.indexShard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ix := sh.indexes[k]
	if ix == nil {
		if !create {
			return
		}
		ix = &index{keys: make(map[string]int64, 1), prune: 8}
		k = indexKey{strings.Clone(k.name), strings.Clone(k.audience), strings.Clone(k.subject)}
		sh.indexes[k] = ix
	}
	fn(ix)
	if len(ix.keys) >= ix.prune {
		ix.pruneDead(now)
		ix.prune = max(8, 2*len(ix.keys))
	}
	if len(ix.keys) == 0 {
		delete(sh.indexes, k)
	}
}

func (ix *index) pruneDead(now int64) {
	for key, exp := range ix.keys {
		if exp <= now {
			delete(ix.keys, key)
		}
	}
}
