package memcached_test

// Fault tests: several Storages (as several processes) on one index, a server that stops
// and comes back, one server of three down (fault_silent_test.go: a server that never
// answers; contract_test.go: the server of an index down). They run
// against their own memcached containers (memcachedtest), never the shared one, because
// they stop servers. None asserts wall-clock speed: "fails fast" is shown structurally (a
// call returns an error while the server is still down, or before any pool slot frees).

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/session"
)

// faultTimeouts bound every round trip. A stopped server refuses connections at once, so
// they only matter for a server that hangs; they are generous because a burst of hundreds
// of new connections through docker-proxy on a loaded CI machine can take a while.
var faultTimeouts = memcached.Config{
	ConnectTimeout: 5 * time.Second,
	SendTimeout:    5 * time.Second,
	ReadTimeout:    5 * time.Second,
}

// checkLeaks fails the test if it leaves goroutines behind. Docker's HTTP client keeps idle
// connections (the container helper's, not the driver's).
func checkLeaks(t *testing.T) {
	t.Helper()
	opts := []goleak.Option{
		goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	}
	t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
}

// faultKey returns a fresh 43-character base64url session key, as lua-resty-session makes
// them. Safe to call from any goroutine (crypto/rand.Read does not fail).
func faultKey(testing.TB) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newFaultStorage builds a Storage on servers with short timeouts, closed at cleanup.
func newFaultStorage(t *testing.T, prefix string, servers ...string) *memcached.Storage {
	t.Helper()
	cfg := faultTimeouts
	cfg.Prefix = prefix
	cfg.Servers = servers
	s, err := memcached.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// assertCleanFailure checks an error from a call against a dead or silent server: present,
// not mistaken for a miss or a bad argument, and free of the session key and value. It only
// marks failures (no FailNow), so workers may call it.
func assertCleanFailure(t *testing.T, err error, key, value string) {
	t.Helper()
	if !assert.Error(t, err) {
		return
	}
	assert.NotErrorIs(t, err, session.ErrNotFound, "a network failure must not look like a missing session")
	assert.NotErrorIs(t, err, session.ErrInvalidArgument)
	assert.NotContains(t, err.Error(), key, "errors never contain session keys")
	if value != "" {
		assert.NotContains(t, err.Error(), value, "errors never contain values")
	}
	assert.True(t, strings.HasPrefix(err.Error(), "memcached: "), "error %q names its source", err)
}

// isConnFailure reports an error that says the server is unreachable or went away.
func isConnFailure(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// TestFaultTwoInstancesOneSubject: two Storages (two processes, each with its own pools and
// index cache) index 2×100 sessions of one subject concurrently, then delete a quarter of
// them concurrently; the index must list exactly the survivors, seen from either Storage.
func TestFaultTwoInstancesOneSubject(t *testing.T) {
	checkLeaks(t)
	srv := memcachedtest.Start(t)
	stores := []*memcached.Storage{
		newFaultStorage(t, "two", srv.Addr),
		newFaultStorage(t, "two", srv.Addr),
	}
	const perStore = 100
	ctx := t.Context()
	now := time.Now()
	md := []session.Pair{{Audience: "app", Subject: "alice"}}

	keys := make([][]string, len(stores))
	for i := range stores {
		for range perStore {
			keys[i] = append(keys[i], faultKey(t))
		}
	}
	run := func(op func(s *memcached.Storage, key string) error) []error {
		errs := make([]error, len(stores)*perStore)
		var wg sync.WaitGroup
		for i, s := range stores {
			for j, k := range keys[i] {
				wg.Go(func() { errs[i*perStore+j] = op(s, k) })
			}
		}
		wg.Wait()
		return errs
	}

	errs := run(func(s *memcached.Storage, key string) error {
		return s.Set(ctx, "session", key, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md})
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	want := map[string]bool{}
	for i := range stores {
		for _, k := range keys[i] {
			want[k] = true
		}
	}
	for i, s := range stores {
		got, err := s.ReadMetadata(ctx, "session", "app", "alice", now)
		require.NoError(t, err)
		assert.Len(t, got, len(want), "store %d: every concurrently indexed session is listed", i)
		for k := range want {
			assert.Contains(t, got, k)
		}
	}

	// Delete every fourth session, from both stores at once.
	errs = run(func(s *memcached.Storage, key string) error {
		if key[0]%4 != 0 {
			return nil
		}
		return s.Delete(ctx, "session", key, now, md)
	})
	for _, err := range errs {
		require.NoError(t, err)
	}
	for k := range want {
		if k[0]%4 == 0 {
			delete(want, k)
		}
	}
	for i, s := range stores {
		got, err := s.ReadMetadata(ctx, "session", "app", "alice", now)
		require.NoError(t, err)
		gotKeys := make(map[string]bool, len(got))
		for k := range got {
			gotKeys[k] = true
		}
		assert.Equal(t, want, gotKeys, "store %d: exactly the sessions not deleted", i)
	}
}

// TestFaultServerStoppedAndRestarted: the server stops under load. Every worker then sees
// errors (connection failures, not misses), nothing panics or hangs, and once the server
// is back the same Storage works again.
func TestFaultServerStoppedAndRestarted(t *testing.T) {
	checkLeaks(t)
	srv := memcachedtest.Start(t)
	store := newFaultStorage(t, "restart", srv.Addr)
	ctx := t.Context()
	md := []session.Pair{{Audience: "app", Subject: "bob"}}

	const (
		workers = 8
		maxOps  = 100000 // per worker: a bound on the loop, not a timing
	)
	var (
		down      atomic.Bool // the server has been stopped
		successes atomic.Int64
		stopLoad  = make(chan struct{})
		sawDown   = make([]chan error, workers) // first error each worker sees after Stop
	)
	var wg sync.WaitGroup
	for w := range workers {
		sawDown[w] = make(chan error, 1)
		wg.Go(func() {
			defer close(sawDown[w])
			reported := false
			for range maxOps {
				select {
				case <-stopLoad:
					return
				default:
				}
				key := faultKey(t)
				wasDown := down.Load()
				err := store.Set(ctx, "session", key, []byte("value-"+key), time.Minute, time.Now(), session.SetOptions{Metadata: md})
				if err == nil {
					_, err = store.Get(ctx, "session", key)
				}
				switch {
				case err == nil:
					successes.Add(1)
				case wasDown && !reported:
					assertCleanFailure(t, err, key, "value-"+key)
					sawDown[w] <- err
					reported = true
				case !wasDown && !down.Load():
					t.Errorf("worker %d: call failed while the server was up: %v", w, err)
					return
				}
			}
		})
	}

	// Let the load run, then stop the server under it.
	require.Eventually(t, func() bool { return successes.Load() >= 50 }, time.Minute, 10*time.Millisecond, "no successful calls before the stop")
	down.Store(true) // from here on an error is expected; before, none is allowed
	require.NoError(t, srv.Stop(ctx))
	for w := range workers {
		select {
		case err, ok := <-sawDown[w]:
			if !ok {
				close(stopLoad)
				wg.Wait()
				t.Fatalf("worker %d ended without seeing the server down", w)
			}
			assert.True(t, isConnFailure(err), "worker %d: want a connection failure, got %v", w, err)
		case <-time.After(time.Minute): // a safety net against a hang, not a speed assertion
			t.Fatalf("worker %d saw no error with the server down", w)
		}
	}
	close(stopLoad)
	wg.Wait()

	// Calls fail while the server is down, every time.
	key := faultKey(t)
	for range 5 {
		err := store.Set(ctx, "session", key, []byte("v"), time.Minute, time.Now(), session.SetOptions{})
		assertCleanFailure(t, err, key, "")
		_, err = store.ReadMetadata(ctx, "session", "app", "bob", time.Now())
		assertCleanFailure(t, err, key, "")
	}

	// Back up on the same address: the same Storage recovers. Connections pooled before the
	// stop are dead; gomemcache drops each one after its first failed use, so allow a few.
	require.NoError(t, srv.Start(ctx))
	var lastErr error
	recovered := false
	for range 3 * 100 { // more than pooled connections could ever fail
		if lastErr = store.Set(ctx, "session", key, []byte("after"), time.Minute, time.Now(), session.SetOptions{Metadata: md}); lastErr == nil {
			recovered = true
			break
		}
	}
	require.True(t, recovered, "the Storage did not recover after the restart: %v", lastErr)
	for i := range 50 {
		got, err := store.Get(ctx, "session", key)
		require.NoError(t, err, "call %d after recovery", i)
		assert.Equal(t, []byte("after"), got)
	}
	got, err := store.ReadMetadata(ctx, "session", "app", "bob", time.Now())
	require.NoError(t, err)
	assert.Equal(t, []string{key}, mapKeys(got), "the restarted server is empty but for the new session")
}

func mapKeys(m map[string]time.Time) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestFaultOneOfThreeServersDown: with consistent hashing over three servers and one of
// them stopped, the sessions on the other two keep working and exactly those on the
// stopped one fail (there is no failover: a key always belongs to one server).
func TestFaultOneOfThreeServersDown(t *testing.T) {
	checkLeaks(t)
	servers := []*memcachedtest.Server{memcachedtest.Start(t), memcachedtest.Start(t), memcachedtest.Start(t)}
	addrs := []string{servers[0].Addr, servers[1].Addr, servers[2].Addr}
	store := newFaultStorage(t, "three", addrs...)
	ctx := t.Context()
	now := time.Now()

	const n = 300
	keys := make([]string, n)
	owner := make([]int, n)
	perServer := make([]int, len(servers))
	for i := range keys {
		keys[i] = faultKey(t)
		require.NoError(t, store.Set(ctx, "session", keys[i], []byte("v"+keys[i][:8]), time.Hour, now, session.SetOptions{}))
		owner[i] = -1
		for s, addr := range addrs {
			// base64url keys need no escaping; ':' becomes %3A.
			if raw(t, addr).Has("three%3Asession%3A" + keys[i]) {
				require.Equal(t, -1, owner[i], "a key is stored on exactly one server")
				owner[i] = s
			}
		}
		require.NotEqual(t, -1, owner[i], "key %d not found on any server", i)
		perServer[owner[i]]++
	}
	for s, c := range perServer {
		require.Positive(t, c, "server %d got no keys: the spread is broken", s)
	}

	const stopped = 1
	require.NoError(t, servers[stopped].Stop(ctx))

	var ok, failed int
	for i, k := range keys {
		got, err := store.Get(ctx, "session", k)
		if owner[i] == stopped {
			assertCleanFailure(t, err, k, "")
			failed++
			continue
		}
		require.NoError(t, err, "a session on a live server must still be readable")
		assert.Equal(t, []byte("v"+k[:8]), got)
		ok++
	}
	t.Logf("reads with server %d of 3 down: %d succeeded, %d failed", stopped, ok, failed)
	assert.Equal(t, perServer[stopped], failed)
	assert.Equal(t, n-perServer[stopped], ok)

	// Writes too: new sessions land on the live servers or fail, as their keys hash.
	var wOK, wFailed int
	for range 100 {
		k := faultKey(t)
		if err := store.Set(ctx, "session", k, []byte("w"), time.Hour, now, session.SetOptions{}); err != nil {
			assertCleanFailure(t, err, k, "")
			wFailed++
		} else {
			wOK++
		}
	}
	t.Logf("writes with server %d of 3 down: %d succeeded, %d failed", stopped, wOK, wFailed)
	assert.Positive(t, wOK)
	assert.Positive(t, wFailed)
}
