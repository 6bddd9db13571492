package sqlstoretest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// Restartable is a Storage on a server of its own that the test stops and
// starts again on the same address.
type Restartable struct {
	Store       Store
	Stop, Start func(ctx context.Context) error
}

// RestartUnderLoad: the server stopped under load: calls fail with a clear
// error (never a miss), and once the server is back the same Storage
// works again, with the data written before the outage.
func RestartUnderLoad(t *testing.T, h Harness, srv Restartable) {
	store := srv.Store
	ctx := context.Background()
	before := Key()
	require.NoError(t, store.Set(ctx, "session", before, []byte("kept"), time.Hour, time.Now(), session.SetOptions{}))

	const workers = 4
	var (
		ok, failed atomic.Int64
		mu         sync.Mutex
		errs       []error
		down       atomic.Bool
		stop       = make(chan struct{})
		wg         sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			md := []session.Pair{{Audience: "app", Subject: fmt.Sprintf("user-%d", w)}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				k := Key()
				err := store.Set(cctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: md})
				if err == nil {
					_, err = store.Get(cctx, "session", k)
				}
				cancel()
				if err != nil {
					failed.Add(1)
					if down.Load() {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
					time.Sleep(10 * time.Millisecond) // no busy loop while the server is away
					continue
				}
				ok.Add(1)
			}
		})
	}
	WaitFor(t, func() bool { return ok.Load() >= 50 }, "load before the outage")

	down.Store(true)
	require.NoError(t, srv.Stop(ctx))
	n := failed.Load()
	WaitFor(t, func() bool { return failed.Load() >= n+workers }, "calls fail while the server is down")
	require.NoError(t, srv.Start(ctx))
	down.Store(false)
	n = ok.Load()
	WaitFor(t, func() bool { return ok.Load() >= n+50 }, "the same Storage works again after the restart")
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs)
	for _, err := range errs {
		assert.False(t, errors.Is(err, session.ErrNotFound), "an outage is an error, never a miss: %v", err)
		assert.Regexp(t, `^`+h.Prefix+`: (set|get): `, err.Error())
	}
	got, err := store.Get(ctx, "session", before)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got), h.Server+" keeps its data across the restart")
}

// PoolExhausted: all of the pool's connections busy: a call waits for one
// only as long as its context allows, and works once one is free. hold
// takes store's only connection and returns when it has; release gives
// it back.
func PoolExhausted(t *testing.T, store Store, hold func(t *testing.T) (release func())) {
	ctx := context.Background()
	k := Key()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))

	release := hold(t)
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := store.Get(dctx, "session", k)
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, errors.Is(err, session.ErrNotFound))
	err = store.Set(dctx, "session", Key(), []byte("v"), time.Hour, time.Now(), session.SetOptions{})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a done context fails at once")
	release()

	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
}

// Locks is how a test holds a session's row lock from another connection
// and sees the Storage's statements waiting on the server.
type Locks struct {
	// Lock holds the row lock of key (name "session") until release runs
	// (cleanup runs it too).
	Lock func(t *testing.T, key string) (release func())
	// Waiting counts the Storage's statements the server is running.
	Waiting func(t *testing.T) int
}

// StatementExceedsDeadline: a statement that outlives its context's
// deadline (a Set, then a rotation, waiting on a row lock another
// transaction holds): the call returns with the deadline's error while
// the lock is still held, the server stops the statement, nothing is
// written even after the lock is let go (a rotation stopped half-way, its
// new key written first, leaves neither key changed), and the Storage
// works on. store must wait on locks far longer than WaitFor's minute:
// only stopping the statement can end it in time.
func StatementExceedsDeadline(t *testing.T, store Store, l Locks) {
	ctx := context.Background()
	k, k2 := Key(), Key()
	md := []session.Pair{{Audience: "app", Subject: "u"}}
	require.NoError(t, store.Set(ctx, "session", k, []byte("before"), time.Hour, time.Now(), session.SetOptions{Metadata: md}))

	release := l.Lock(t, k)
	// The Set blocks on the lock, which is let go only after it returned:
	// a Set that waited for the lock would never return.
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := store.Set(dctx, "session", k, []byte("during"), time.Hour, time.Now(), session.SetOptions{})
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	WaitFor(t, func() bool { return l.Waiting(t) == 0 }, "the statement is stopped on the server, not left waiting for the lock")

	// The new key is written first, then the old one's deletion waits for
	// the lock: a transaction stopped half-way.
	dctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	err = store.Set(dctx, "session", k2, []byte("during"), time.Hour, time.Now(), session.SetOptions{OldKey: k, Remember: true, Metadata: md})
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	WaitFor(t, func() bool { return l.Waiting(t) == 0 }, "the rotation is stopped on the server, not left waiting for the lock")
	release()

	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "before", string(got), "the stopped Set and rotation wrote nothing to the old key")
	_, err = store.Get(ctx, "session", k2)
	assert.ErrorIs(t, err, session.ErrNotFound, "the stopped rotation wrote nothing: the new key is not there either")
	listed, err := store.ReadMetadata(ctx, "session", "app", "u", time.Now())
	require.NoError(t, err)
	assert.Equal(t, []string{k}, keysOf(listed))

	require.NoError(t, store.Set(ctx, "session", k, []byte("after"), time.Hour, time.Now(), session.SetOptions{}))
	got, err = store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "after", string(got))
}

func keysOf(m map[string]time.Time) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// OwnTimeout: the Storage's own bound (ReadTimeout, which the server
// enforces) ends a statement the caller's context would let run: the
// error matches errTimeout and context.DeadlineExceeded and names the
// server's error code, and the refused transaction is rolled back whole.
func OwnTimeout(t *testing.T, store Store, lock func(t *testing.T, key string) (release func()), errTimeout error, code string) {
	ctx := context.Background()
	k, k2 := Key(), Key()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
	release := lock(t, k)
	err := store.Delete(ctx, "session", k, time.Now(), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, errTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "ReadTimeout")
	assert.Contains(t, err.Error(), code)

	err = store.Set(ctx, "session", k2, []byte("v2"), time.Hour, time.Now(), session.SetOptions{OldKey: k, Remember: true})
	assert.ErrorIs(t, err, errTimeout)
	release()
	_, err = store.Get(ctx, "session", k2)
	assert.ErrorIs(t, err, session.ErrNotFound, "the transaction's first statement was rolled back with it")
	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
}
