package sqlstore

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Sweeper defaults.
const (
	// DefaultSweepInterval is how long a sweeper waits between rounds.
	DefaultSweepInterval = time.Minute
	// DefaultSweepBatch is how many rows one sweeping statement deletes at
	// most: a short transaction holding few locks.
	DefaultSweepBatch = 1000
	// DefaultSweepTimeout bounds one sweeping statement.
	DefaultSweepTimeout = 30 * time.Second
)

// SweepFunc deletes at most limit sessions that expired before now (their
// index rows go with them) and returns how many it deleted. One call is one
// statement: a bounded batch.
type SweepFunc func(ctx context.Context, now time.Time, limit int) (int64, error)

// SweepConfig configures sweeping. Zero fields take the defaults above.
type SweepConfig struct {
	// Sweep deletes one batch. Required.
	Sweep SweepFunc
	// Now is the clock that decides what has expired; nil means time.Now.
	// Drivers pass their injected clock, the one Get decides liveness by.
	Now func() time.Time
	// Interval is the pause between rounds (±10% jitter, so that several
	// processes sharing the tables do not sweep in step).
	Interval time.Duration
	// Batch is the most rows one statement deletes.
	Batch int
	// MaxBatches bounds one round; 0 means until a batch deletes fewer than
	// Batch rows. A round stopped by it leaves the rest to the next round.
	MaxBatches int
	// Timeout bounds one batch.
	Timeout time.Duration
	// Logger receives a warning for each failed round; nil discards them.
	// Sweeping errors name tables and server errors, never sessions.
	Logger *slog.Logger
}

func (c *SweepConfig) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Interval <= 0 {
		c.Interval = DefaultSweepInterval
	}
	if c.Batch <= 0 {
		c.Batch = DefaultSweepBatch
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultSweepTimeout
	}
}

// SweepStats is what one round did.
type SweepStats struct {
	// Rows is how many sessions were deleted.
	Rows int64
	// Batches is how many statements ran.
	Batches int
	// More is true when the round stopped at MaxBatches with a full batch:
	// expired rows may remain.
	More bool
}

// errNoSweep reports a SweepConfig without a Sweep function.
var errNoSweep = errors.New("sqlstore: SweepConfig.Sweep is nil")

// SweepRound runs one round: batches of at most c.Batch rows, each under
// its own timeout, until a batch comes back short, c.MaxBatches ran, ctx
// ends or a batch fails. now is read once, so that a round ends even while
// sessions keep expiring.
func SweepRound(ctx context.Context, c SweepConfig) (SweepStats, error) {
	c.defaults()
	var st SweepStats
	if c.Sweep == nil {
		return st, errNoSweep
	}
	now := c.Now()
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		bctx, cancel := context.WithTimeout(ctx, c.Timeout)
		n, err := c.Sweep(bctx, now, c.Batch)
		cancel()
		if err != nil {
			return st, err
		}
		st.Rows += n
		st.Batches++
		if n < int64(c.Batch) {
			return st, nil
		}
		if c.MaxBatches > 0 && st.Batches >= c.MaxBatches {
			st.More = true
			return st, nil
		}
	}
}

// Sweeper runs SweepRound every interval in a goroutine of its own, off the
// request path, until Stop.
type Sweeper struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartSweeper starts sweeping with c. The first round runs one interval
// after the start. With c.Sweep nil it returns a Sweeper that does nothing.
func StartSweeper(c SweepConfig) *Sweeper {
	c.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sweeper{cancel: cancel, done: make(chan struct{})}
	if c.Sweep == nil {
		close(s.done)
		return s
	}
	go s.loop(ctx, c)
	return s
}

func (s *Sweeper) loop(ctx context.Context, c SweepConfig) {
	defer close(s.done)
	t := time.NewTimer(jitter(c.Interval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := SweepRound(ctx, c)
		if err != nil && ctx.Err() == nil && c.Logger != nil {
			c.Logger.LogAttrs(ctx, slog.LevelWarn, "session sweeper: round failed",
				slog.Int64("rows", st.Rows), slog.Int("batches", st.Batches), slog.String("error", err.Error()))
		}
		t.Reset(jitter(c.Interval))
	}
}

// jitter returns d ±10%.
func jitter(d time.Duration) time.Duration {
	span := int64(d) / 5
	if span <= 0 {
		return d
	}
	return d - time.Duration(span/2) + time.Duration(rand.Int64N(span+1))
}

// Stop ends the sweeper: a batch in flight is cancelled, and Stop returns
// once the goroutine has ended. Stopping twice is harmless.
func (s *Sweeper) Stop() {
	s.once.Do(s.cancel)
	<-s.done
}
