package mysql_test

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

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/drivers/mysql/mysqltest"
	"github.com/sessionstore/sessionstore/session"
)

// The server stopped under load: calls fail with a clear error (never a
// miss), and once the server is back the same Storage works again, with
// the data written before the outage.
func TestRestartUnderLoad(t *testing.T) {
	server(t) // skips (or fails) without Docker, like the rest
	srv := mysqltest.Start(t)
	store := srv.NewStorage(t, mysql.Config{PoolSize: 4, ConnectTimeout: 2 * time.Second})
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
			for {
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
		assert.Regexp(t, `^mysql: (set|get): `, err.Error())
	}
	got, err := store.Get(ctx, "session", before)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got), "MariaDB keeps its data across the restart")
}

// waitFor polls cond for up to a minute: the tests assert outcomes, never
// how fast they come.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, time.Minute, 10*time.Millisecond, what)
}

// lockRow holds the row lock of key in db.sessions (OwnTables, name
// "session") in a transaction of the admin pool until the returned release
// runs (cleanup runs it too).
func lockRow(t *testing.T, db, key string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := admin.BeginTx(ctx, nil)
	require.NoError(t, err)
	var one int
	require.NoError(t, tx.QueryRowContext(ctx, "SELECT 1 FROM "+db+".sessions WHERE name = 'session' AND sid = ? FOR UPDATE", []byte(key)).Scan(&one))
	var once sync.Once
	release = func() { once.Do(func() { _ = tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// waiting counts the statements of db's connections (Database: db) that
// are running on the server.
func waiting(t *testing.T, db string) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow("SELECT count(*) FROM information_schema.processlist WHERE db = ? AND command = 'Query'", db).Scan(&n))
	return n
}

// All of the pool's connections busy: a call waits for one only as long as
// its context allows, and works once one is free.
func TestPoolExhausted(t *testing.T) {
	db := freshDatabase(t)
	store := newStorage(t, mysql.Config{Host: shared.Host, Port: shared.Port, Database: db, Table: "sessions", PoolSize: 1, ReadTimeout: time.Minute})
	ctx := context.Background()
	k, blocked := sessionKey(), sessionKey()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
	require.NoError(t, store.Set(ctx, "session", blocked, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))

	// The only connection waits on a row lock.
	release := lockRow(t, db, blocked)
	done := make(chan error, 1)
	go func() { done <- store.Delete(ctx, "session", blocked, time.Now(), nil) }()
	waitFor(t, func() bool { return waiting(t, db) == 1 }, "the Delete holds the only connection")

	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := store.Get(dctx, "session", k)
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, errors.Is(err, session.ErrNotFound))
	err = store.Set(dctx, "session", sessionKey(), []byte("v"), time.Hour, time.Now(), session.SetOptions{})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a done context fails at once")

	release()
	require.NoError(t, <-done)
	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
}

// A statement that outlives its context's deadline (a rotation waiting on a
// row lock another transaction holds): the call returns with the
// deadline's error while the lock is still held, the server stops the
// statement (KILL QUERY), nothing is written even after the lock is let
// go, and the Storage works on. Without the KILL, the server would run the
// rest of the query, COMMIT included, once the lock is free.
func TestStatementExceedsDeadline(t *testing.T) {
	db := freshDatabase(t)
	// A lock wait far longer than waitFor's minute: only the KILL can end
	// the statement in time.
	store := newStorage(t, mysql.Config{Host: shared.Host, Port: shared.Port, Database: db, Table: "sessions", ReadTimeout: 10 * time.Minute})
	ctx := context.Background()
	k, k2 := sessionKey(), sessionKey()
	md := []session.Pair{{Audience: "app", Subject: "u"}}
	require.NoError(t, store.Set(ctx, "session", k, []byte("before"), time.Hour, time.Now(), session.SetOptions{Metadata: md}))

	release := lockRow(t, db, k)
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	// The new key is written first, then the old one's update waits for
	// the lock: a transaction stopped half-way.
	err := store.Set(dctx, "session", k2, []byte("during"), time.Hour, time.Now(), session.SetOptions{OldKey: k, Remember: true, Metadata: md})
	cancel()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	waitFor(t, func() bool { return waiting(t, db) == 0 }, "the statement is stopped on the server, not left waiting for the lock")
	release()

	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "before", string(got), "the stopped rotation did not delete the old key")
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

// The Storage's own bound (ReadTimeout, the server's
// innodb_lock_wait_timeout) ends a statement the caller's context would let
// run: the error matches ErrTimeout, and the refused transaction is rolled
// back.
func TestOwnTimeout(t *testing.T) {
	store, db := newStorageDB(t, mysql.Config{ReadTimeout: 500 * time.Millisecond}) // rounded up to 1 s
	ctx := context.Background()
	k, k2 := sessionKey(), sessionKey()
	require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
	release := lockRow(t, db, k)
	err := store.Delete(ctx, "session", k, time.Now(), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, mysql.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "ReadTimeout")
	assert.Contains(t, err.Error(), "1205")

	err = store.Set(ctx, "session", k2, []byte("v2"), time.Hour, time.Now(), session.SetOptions{OldKey: k, Remember: true})
	assert.ErrorIs(t, err, mysql.ErrTimeout)
	release()
	_, err = store.Get(ctx, "session", k2)
	assert.ErrorIs(t, err, session.ErrNotFound, "the transaction's first statement was rolled back with it")
	got, err := store.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
}
