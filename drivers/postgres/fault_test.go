package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
	"github.com/sessionstore/sessionstore/session"
)

// The server stopped under load: calls fail with a clear error (never a
// miss), and once the server is back the same Storage works again, with
// the data written before the outage.
func TestRestartUnderLoad(t *testing.T) {
	server(t) // skips (or fails) without Docker, like the rest
	srv := pgtest.Start(t)
	store := srv.NewStorage(t, postgres.Config{PoolSize: 4, ConnectTimeout: 2 * time.Second})
	ctx := context.Background()
	before := sessionKey()
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
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				k := sessionKey()
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
	waitFor(t, func() bool { return ok.Load() >= 50 }, "load before the outage")

	down.Store(true)
	require.NoError(t, srv.Stop(ctx))
	n := failed.Load()
	waitFor(t, func() bool { return failed.Load() >= n+workers }, "calls fail while the server is down")
	require.NoError(t, srv.Start(ctx))
	down.Store(false)
	n = ok.Load()
	waitFor(t, func() bool { return ok.Load() >= n+50 }, "the same Storage works again after the restart")
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, errs)
	for _, err := range errs {
		assert.False(t, errors.Is(err, session.ErrNotFound), "an outage is an error, never a miss: %v", err)
		assert.Regexp(t, `^postgres: (set|get): `, err.Error())
	}
	got, err := store.Get(ctx, "session", before)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got), "PostgreSQL keeps its data across the restart")
}

// waitFor polls cond for up to a minute: the tests assert outcomes, never
// how fast they come.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, time.Minute, 10*time.Millisecond, what)
}

// All of the pool's connections busy: a call waits for one only as long as
// its context allows, and works once one is free.
func TestPoolExhausted(t *testing.T) {
	url := server(t)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	defer pool.Close()
	store := newStorage(t, postgres.Config{Pool: pool})
	k := sessionKey()
	require.NoError(t, store.Set(context.Background(), "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))

	held, err := pool.Acquire(context.Background()) // the only connection
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = store.Get(ctx, "session", k)
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, errors.Is(err, session.ErrNotFound))
	err = store.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, time.Now(), session.SetOptions{})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a done context fails at once")
	held.Release()

	got, err := store.Get(context.Background(), "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
}

// A statement that outlives its context's deadline (a Set waiting on a row
// lock another transaction holds): the call returns with the deadline's
// error while the lock is still held, the server cancels the statement,
// nothing is written, and the Storage works on.
func TestStatementExceedsDeadline(t *testing.T) {
	server(t)
	store, schema := newStorageSchema(t, postgres.Config{Host: shared.Host, Port: shared.Port, Application: "deadline-test"})
	ctx := context.Background()
	k := sessionKey()
	require.NoError(t, store.Set(ctx, "session", k, []byte("before"), time.Hour, time.Now(), session.SetOptions{}))

	table := schema + ".sessions"
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // released below; a failed test rolls back here
	_, err = tx.Exec(ctx, "SELECT 1 FROM "+table+" WHERE sid = $1 FOR UPDATE", k)
	require.NoError(t, err)

	// Set blocks on the lock, which is let go only after Set returned: a
	// Set that waited for the lock would never return.
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = store.Set(dctx, "session", k, []byte("during"), time.Hour, time.Now(), session.SetOptions{})
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// The server cancelled the statement: nothing of ours waits on the
	// lock, which is still held.
	waitFor(t, func() bool {
		var n int
		require.NoError(t, admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'deadline-test' AND wait_event_type = 'Lock'`).Scan(&n))
		return n == 0
	}, "the statement is cancelled on the server, not left waiting for the lock")
	require.NoError(t, tx.Rollback(ctx))

	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "before", string(got), "the cancelled Set wrote nothing")
	require.NoError(t, store.Set(ctx, "session", k, []byte("after"), time.Hour, time.Now(), session.SetOptions{}))
	got, err = store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "after", string(got))
}

// The Storage's own bound (ReadTimeout, the server's statement_timeout)
// ends a statement the caller's context would let run: the error matches
// ErrTimeout.
func TestOwnTimeout(t *testing.T) {
	store, schema := newStorageSchema(t, postgres.Config{ReadTimeout: 100 * time.Millisecond})
	ctx := context.Background()
	k := sessionKey()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
	tx, err := admin.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // the lock is let go at the end
	_, err = tx.Exec(ctx, "SELECT 1 FROM "+schema+".sessions WHERE sid = $1 FOR UPDATE", k)
	require.NoError(t, err)
	err = store.Delete(ctx, "session", k, time.Now(), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, postgres.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "ReadTimeout")
}
