package memcached

import "sync"

// indexCacheSize bounds the cache; past it an arbitrary entry is dropped,
// which only costs that index one read on its next write.
const indexCacheSize = 4096

// indexCache is a Storage's knowledge of the index items it wrote: how
// long each lives at least, and how many bytes it appended since it last
// wrote the item whole. It is what lets a write append without reading.
type indexCache struct {
	mu sync.Mutex
	m  map[string]indexState
}

type indexState struct {
	exptime  int64 // the item lives at least until then (Unix seconds)
	appended int   // bytes appended since this Storage wrote the item whole
}

// appendable returns what the writer knows of ik (exptime 0 if nothing) and
// whether c of n bytes may be appended without reading the item: it must
// keep the garbage under appendLimit and, for a live entry, the item must
// outlive it (a deletion marker needs no lifetime).
func (ic *indexCache) appendable(ik string, c change, n int) (int64, bool) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	st := ic.m[ik]
	if st.appended+n > appendLimit {
		return st.exptime, false
	}
	return st.exptime, c.key == "" || st.exptime >= c.expiry
}

// appended records n more bytes appended to ik (also for an ik not known
// yet, so that deletions alone make the item compacted in time).
func (ic *indexCache) appended(ik string, n int) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	st := ic.m[ik]
	st.appended += n
	ic.put(ik, st)
}

// store records what a write learned of ik.
func (ic *indexCache) store(ik string, exptime int64, appended int) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	ic.put(ik, indexState{exptime: exptime, appended: appended})
}

func (ic *indexCache) put(ik string, st indexState) {
	if ic.m == nil {
		ic.m = make(map[string]indexState)
	}
	if _, ok := ic.m[ik]; !ok && len(ic.m) >= indexCacheSize {
		for k := range ic.m {
			delete(ic.m, k)
			break
		}
	}
	ic.m[ik] = st
}

// forget drops ik: the item is gone or damaged, and the next write must
// read it.
func (ic *indexCache) forget(ik string) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	delete(ic.m, ik)
}

// reset forgets everything, as in a fresh process.
func (ic *indexCache) reset() {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	ic.m = nil
}
