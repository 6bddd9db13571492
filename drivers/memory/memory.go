package memory

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/sessionstore/sessionstore/session"
)

// shardCount is a power of two so that a hash picks a shard with a mask.
const shardCount = 64

// DefaultSweepInterval is how often the background sweeper removes expired
// sessions and index entries when WithSweepInterval is not given.
const DefaultSweepInterval = time.Minute

// Option configures a Store.
type Option func(*config)

type config struct {
	now           func() time.Time // nil: the system clock
	maxEntries    int
	sweepInterval time.Duration
	hashMask      uint64 // zero: all bits; tests narrow it (see export_test.go)
}

// WithClock sets the clock that session expiry is measured against. The
// default is the system clock, read as the wall time at New plus the
// monotonic time elapsed since, so a step of the wall clock neither
// shortens nor lengthens a session. Tests inject a fake clock so that TTL cases need no sleeps. Index
// expiries are not taken from it: they come from the now passed to Set, as
// the Storage contract says. The sweeper calls the clock from its own
// goroutine, so it must be safe for concurrent use. A nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMaxEntries caps the number of session items the Store holds (index
// entries are not counted). When the cap is reached, a Set of a new key first
// sweeps expired sessions; if the Store is still full, Set fails with an
// error matching session.ErrFull. Live sessions are never evicted to make
// room: silently logging a user out is worse than a visible error. A
// rotation needs room for the new key before it removes the old one. Zero or
// less means no cap (the default).
func WithMaxEntries(n int) Option {
	return func(c *config) { c.maxEntries = max(n, 0) }
}

// WithSweepInterval sets how often a background goroutine removes expired
// sessions and index entries (default DefaultSweepInterval). Expiry never
// depends on the sweeper: reads check it themselves; the sweeper only frees
// memory. Zero or less disables the sweeper; expired sessions are then freed
// when read, overwritten, or when a capped Store is full.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweepInterval = d }
}

// shard holds the sessions whose key hashes to it, grouped by cookie name.
type shard struct {
	mu    sync.RWMutex
	names map[string]*table
	_     [64 - 24 - 8]byte // keep neighbouring shards' locks on separate cache lines
}

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

// Store is an in-memory session.Storage. It is safe for concurrent use.
// Close it to stop its sweeper; a Store dropped without Close has its
// sweeper stopped once the garbage collector reclaims it. Create it with
// New: a zero or nil Store holds nothing and behaves as a closed one (every
// call fails with session.ErrClosed) rather than panicking.
type Store struct {
	now func() time.Time
	// monotonic is set when now is the system clock: clock then reads only
	// the monotonic clock (time.Since), which costs half of time.Now.
	monotonic  bool
	start      time.Time // with a monotonic reading
	startNanos int64     // start as Unix nanoseconds
	maxEntries int
	seed       maphash.Seed
	hashMask   uint64 // all ones; tests narrow it to force hash collisions

	shards  [shardCount]shard
	indexes [shardCount]indexShard

	count atomic.Int64 // session items held, expired ones included until freed
	// minExp is a lower bound of the expiry of every held session, kept only
	// when the Store is capped: a full Store sweeps only when something can
	// have expired, so a full Store does not rescan itself on every Set.
	minExp atomic.Int64
	// sweepMu serialises sweeps, so that a Set that finds the Store full
	// waits for a running sweep and sees the room it made.
	sweepMu sync.Mutex

	closed    atomic.Bool
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
	// cleanup stops the sweeper of a Store that is dropped without Close.
	cleanup runtime.Cleanup
}

var _ session.Storage = (*Store)(nil)

// New returns an empty Store. Unless the sweeper is disabled with
// WithSweepInterval(0), it starts one background goroutine that Close stops.
func New(opts ...Option) *Store {
	cfg := config{sweepInterval: DefaultSweepInterval}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	start := time.Now()
	s := &Store{
		now:        cfg.now,
		start:      start,
		startNanos: start.UnixNano(),
		maxEntries: cfg.maxEntries,
		seed:       maphash.MakeSeed(),
		hashMask:   ^uint64(0),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	if cfg.hashMask != 0 {
		s.hashMask = cfg.hashMask
	}
	if s.now == nil {
		s.now = time.Now
		s.monotonic = true
	}
	s.minExp.Store(math.MaxInt64)
	for i := range s.shards {
		s.shards[i].names = make(map[string]*table)
		s.indexes[i].indexes = make(map[indexKey]*index)
	}
	if cfg.sweepInterval > 0 {
		// The sweeper holds the Store weakly, so that an unreachable Store
		// is collected and its cleanup stops the sweeper.
		go sweeper(weak.Make(s), cfg.sweepInterval, s.stop, s.done)
		s.cleanup = runtime.AddCleanup(s, func(stop chan struct{}) { close(stop) }, s.stop)
	} else {
		close(s.done)
	}
	return s
}

// Close stops the sweeper and waits for it to exit. Calls after Close fail
// with an error matching session.ErrClosed. Close is idempotent and always
// returns nil.
func (s *Store) Close() error {
	if s == nil || s.stop == nil { // not made by New: nothing runs
		return nil
	}
	s.closeOnce.Do(func() {
		s.cleanup.Stop()
		s.closed.Store(true)
		close(s.stop)
	})
	<-s.done
	return nil
}

// Len returns the number of session items held, including expired ones
// that have not been freed yet. Index entries are not counted.
func (s *Store) Len() int {
	if s == nil {
		return 0
	}
	return int(s.count.Load())
}

// clock returns the Store's time in Unix nanoseconds: that of WithClock's
// clock, or with the system clock the wall time at New plus the monotonic
// time elapsed since, so that a TTL is measured in elapsed time.
func (s *Store) clock() int64 {
	if s.monotonic {
		return s.startNanos + int64(time.Since(s.start))
	}
	return s.now().UnixNano()
}

// hash is the key's hash: its low bits pick the shard, and the shard's
// table is keyed by all of it.
func (s *Store) hash(key string) uint64 {
	return maphash.String(s.seed, key) & s.hashMask
}

func (s *Store) shard(h uint64) *shard {
	return &s.shards[h&(shardCount-1)]
}

func (s *Store) indexShard(k indexKey) *indexShard {
	return &s.indexes[maphash.String(s.seed, k.subject)&(shardCount-1)]
}

// begin runs the checks every operation starts with.
func (s *Store) begin(ctx context.Context, op string) error {
	if err := session.CheckContext(ctx); err != nil {
		return fmt.Errorf("memory: %s: %w", op, err)
	}
	if s == nil || s.stop == nil {
		return fmt.Errorf("memory: %s: Store not created by New: %w", op, session.ErrClosed)
	}
	if s.closed.Load() {
		return fmt.Errorf("memory: %s: %w", op, session.ErrClosed)
	}
	return nil
}

// Set implements session.Storage.
func (s *Store) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := s.begin(ctx, "set"); err != nil {
		return err
	}
	if err := session.CheckSet(name, key, ttl, opts); err != nil {
		return fmt.Errorf("memory: set: %w", err)
	}
	clock := s.clock()
	exp := addNanos(clock, ttl)
	if err := s.store(name, key, value, exp, clock); err != nil {
		return fmt.Errorf("memory: set: %w", err)
	}

	if opts.OldKey != "" {
		if opts.Remember {
			s.remove(name, opts.OldKey)
		} else {
			s.shorten(name, opts.OldKey, addNanos(clock, opts.EffectiveStaleTTL()))
		}
	}

	if len(opts.Metadata) > 0 {
		idxExp := session.ExpiryUnix(now, ttl)
		nowUnix := now.Unix()
		for _, p := range opts.Metadata {
			s.updateIndex(indexKey{name, p.Audience, p.Subject}, nowUnix, true, func(ix *index) {
				if _, ok := ix.keys[key]; ok {
					ix.keys[key] = idxExp
				} else {
					// Clone: key may be a slice of a larger string the
					// caller no longer needs.
					ix.keys[strings.Clone(key)] = idxExp
				}
				if opts.OldKey != "" {
					delete(ix.keys, opts.OldKey)
				}
			})
		}
	}
	return nil
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

// Get implements session.Storage. The returned slice is the caller's own.
func (s *Store) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := s.begin(ctx, "get"); err != nil {
		return nil, err
	}
	if err := session.CheckGet(name, key); err != nil {
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
	if err := session.CheckDelete(name, key, metadata); err != nil {
		return fmt.Errorf("memory: delete: %w", err)
	}
	s.remove(name, key)
	nowUnix := now.Unix()
	for _, p := range metadata {
		s.updateIndex(indexKey{name, p.Audience, p.Subject}, nowUnix, false, func(ix *index) {
			delete(ix.keys, key)
		})
	}
	return nil
}

// ReadMetadata implements session.Storage.
func (s *Store) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := s.begin(ctx, "read metadata"); err != nil {
		return nil, err
	}
	if err := session.CheckReadMetadata(name, audience, subject); err != nil {
		return nil, fmt.Errorf("memory: read metadata: %w", err)
	}
	k := indexKey{name, audience, subject}
	nowUnix := now.Unix()
	sh := s.indexShard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ix := sh.indexes[k]
	if ix == nil {
		return map[string]time.Time{}, nil
	}
	live := make(map[string]time.Time, len(ix.keys))
	for key, exp := range ix.keys {
		if exp > nowUnix {
			live[key] = time.Unix(exp, 0)
		}
	}
	return live, nil
}

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
