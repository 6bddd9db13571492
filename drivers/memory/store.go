package memory

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// shardCount is a power of two so that a hash picks a shard with a mask.
const shardCount = 64

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
	planner    driver.Planner // argument rules and expiries; names nothing
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
	if err := driver.CheckContext(ctx); err != nil {
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
