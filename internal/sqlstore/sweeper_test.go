package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backlog is a fake table of expired rows that a SweepFunc drains.
type backlog struct {
	mu      sync.Mutex
	rows    int64
	calls   int
	nows    []time.Time
	limits  []int
	failAt  int // the call (1-based) that fails; 0: none
	blockAt int // the call that blocks until its ctx ends; 0: none
	entered chan struct{}
}

func (b *backlog) sweep(ctx context.Context, now time.Time, limit int) (int64, error) {
	b.mu.Lock()
	b.calls++
	call := b.calls
	b.nows = append(b.nows, now)
	b.limits = append(b.limits, limit)
	b.mu.Unlock()
	if call == b.blockAt {
		close(b.entered)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	if call == b.failAt {
		return 0, errors.New("relation does not exist")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(b.rows, int64(limit))
	b.rows -= n
	return n, nil
}

func (b *backlog) left() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rows
}

func TestSweepRoundDrainsInBatches(t *testing.T) {
	b := &backlog{rows: 2500}
	now := time.Unix(1700000000, 0)
	st, err := SweepRound(t.Context(), SweepConfig{Sweep: b.sweep, Batch: 1000, Now: func() time.Time { return now }})
	require.NoError(t, err)
	assert.Equal(t, SweepStats{Rows: 2500, Batches: 3}, st, "1000 + 1000 + 500: the short batch ends the round")
	assert.Equal(t, []int{1000, 1000, 1000}, b.limits)
	for _, n := range b.nows {
		assert.Equal(t, now, n, "the round reads its clock once")
	}

	b = &backlog{rows: 2000}
	st, err = SweepRound(t.Context(), SweepConfig{Sweep: b.sweep, Batch: 1000})
	require.NoError(t, err)
	assert.Equal(t, SweepStats{Rows: 2000, Batches: 3}, st, "a full last batch needs one more, empty, to know it is done")
}

func TestSweepRoundMaxBatches(t *testing.T) {
	b := &backlog{rows: 10000}
	st, err := SweepRound(t.Context(), SweepConfig{Sweep: b.sweep, Batch: 100, MaxBatches: 5})
	require.NoError(t, err)
	assert.Equal(t, SweepStats{Rows: 500, Batches: 5, More: true}, st)
	assert.Equal(t, int64(9500), b.left())
}

func TestSweepRoundErrors(t *testing.T) {
	b := &backlog{rows: 5000, failAt: 2}
	st, err := SweepRound(t.Context(), SweepConfig{Sweep: b.sweep, Batch: 1000})
	assert.ErrorContains(t, err, "relation does not exist")
	assert.Equal(t, SweepStats{Rows: 1000, Batches: 1}, st, "the round stops at the failed batch")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = SweepRound(ctx, SweepConfig{Sweep: b.sweep})
	assert.ErrorIs(t, err, context.Canceled)

	_, err = SweepRound(t.Context(), SweepConfig{})
	assert.ErrorIs(t, err, errNoSweep)
}

func TestSweepRoundBatchTimeout(t *testing.T) {
	b := &backlog{rows: 5000, blockAt: 1, entered: make(chan struct{})}
	_, err := SweepRound(t.Context(), SweepConfig{Sweep: b.sweep, Timeout: time.Millisecond})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a batch runs under its own timeout")
}

func TestSweeperRunsAndStops(t *testing.T) {
	b := &backlog{rows: 30}
	s := StartSweeper(SweepConfig{Sweep: b.sweep, Interval: time.Millisecond, Batch: 7})
	require.Eventually(t, func() bool { return b.left() == 0 }, 10*time.Second, time.Millisecond)
	s.Stop()
	s.Stop() // harmless
	b.mu.Lock()
	calls := b.calls
	b.mu.Unlock()
	time.Sleep(5 * time.Millisecond)
	b.mu.Lock()
	assert.Equal(t, calls, b.calls, "no batch after Stop")
	b.mu.Unlock()
}

func TestSweeperStopCancelsABatch(t *testing.T) {
	b := &backlog{rows: 1, blockAt: 1, entered: make(chan struct{})}
	s := StartSweeper(SweepConfig{Sweep: b.sweep, Interval: time.Millisecond})
	<-b.entered
	s.Stop() // returns only once the blocked batch saw its ctx end
}

func TestSweeperLogsFailures(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &buf}, nil))
	b := &backlog{rows: 10, failAt: 1}
	s := StartSweeper(SweepConfig{Sweep: b.sweep, Interval: time.Millisecond, Logger: log})
	require.Eventually(t, func() bool { return b.left() == 0 }, 10*time.Second, time.Millisecond, "the next round goes on")
	s.Stop()
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, buf.String(), "session sweeper: round failed")
	assert.Contains(t, buf.String(), "relation does not exist")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSweeperWithoutFunc(t *testing.T) {
	s := StartSweeper(SweepConfig{})
	s.Stop()
}

func TestJitter(t *testing.T) {
	for range 100 {
		j := jitter(time.Minute)
		assert.GreaterOrEqual(t, j, 54*time.Second)
		assert.LessOrEqual(t, j, 66*time.Second)
	}
	assert.Equal(t, time.Duration(3), jitter(3))
}
