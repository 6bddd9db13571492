package redis

import (
	"context"
	"fmt"

	"github.com/sessionstore/sessionstore/session"
)

// A call of the Storage is admitted by enter and ended by leave, and runs on the
// caller's goroutine, or with PromptCancel on one of its own (async).
//
// go-redis honours a ctx deadline on the wire (ContextTimeoutEnabled: every read and
// write gets the earlier of the deadline and its timeout) and a cancellation while it
// waits for a connection or dials, but not a cancellation during a read: that read waits
// for its reply or its ReadTimeout. So by default a call whose ctx is cancelled returns
// within one network timeout, with an error wrapping ctx.Err() (contract 2.14's bound).
// With PromptCancel the call runs on a goroutine of its own when ctx can be cancelled,
// and returns as soon as ctx is done; the abandoned call ends in the background within
// its timeouts, still counted against PoolSize+Backlog, and its outcome is unknown, as
// that of any call that times out. A result that arrives together with the cancellation
// wins. The goroutine costs throughput (BENCHMARKS.md), hence the option.
//
// The methods build no closure on the caller's path (async's copies the plan), so that
// the common call allocates no more than go-redis does.

// detach reports whether a call with ctx runs on a goroutine of its own.
func (s *Storage) detach(ctx context.Context) bool {
	return s.promptCancel && ctx.Done() != nil
}

// async runs fn, a call admitted by enter, on a goroutine that ends it with leave, and
// returns fn's result, or ctx's error as soon as ctx is done. The result travels with
// the error, so a caller that returned early never reads what the abandoned call writes.
func async[T any](s *Storage, ctx context.Context, op string, fn func(ctx context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer s.leave()
		v, err := fn(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		select {
		case r := <-done:
			return r.v, r.err
		default:
		}
		var zero T
		return zero, fmt.Errorf("redis: %s: %w", op, ctx.Err())
	}
}

// enter admits a call: it fails once the Storage is closing, and at once when
// PoolSize+Backlog calls are in flight. On success the call ends with leave.
func (s *Storage) enter(op string) error {
	if s.closing.Load() {
		return fmt.Errorf("redis: %s: %w", op, session.ErrClosed)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("redis: %s: %w", op, session.ErrClosed)
	}
	if s.limit > 0 && s.inflight.Add(1) > s.limit {
		s.inflight.Add(-1)
		s.mu.RUnlock()
		return fmt.Errorf("redis: %s: %w (%d calls in flight: pool size plus backlog)", op, ErrPoolExhausted, s.limit)
	}
	return nil
}

// leave ends a call admitted by enter (on any goroutine).
func (s *Storage) leave() {
	if s.limit > 0 {
		s.inflight.Add(-1)
	}
	s.mu.RUnlock()
}

// Close releases the Storage's client (a named pool's when its last Storage closes; an
// application's only with CloseClient). Calls after it start fail with an error matching
// session.ErrClosed. It closes the client first, which ends the calls still on the wire
// (they fail with ErrClosed too), and then waits for every call to end, so that no
// goroutine of the Storage outlives it; with a client it does not close (an
// application's, or a named pool still in use) the calls end within their timeouts.
// Close is idempotent.
func (s *Storage) Close() error {
	if s.closing.Swap(true) {
		s.mu.Lock() // a concurrent Close: wait for it to finish
		s.mu.Unlock()
		return nil
	}
	var err error
	switch {
	case s.shared != nil:
		err = releaseClient(s.shared)
	case s.closeClient:
		err = s.client.Close()
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}
