package memcached_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// fakeServer is a loopback TCP server that answers each request line with
// answer(line) (nil: never answer). It counts connections.
type fakeServer struct {
	addr     string
	accepted atomic.Int64
	open     atomic.Int64
	maxOpen  atomic.Int64
	delay    time.Duration
}

func startFake(t *testing.T, delay time.Duration, answer func(line string) []byte) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeServer{addr: l.Addr().String(), delay: delay}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			f.accepted.Add(1)
			n := f.open.Add(1)
			for {
				m := f.maxOpen.Load()
				if n <= m || f.maxOpen.CompareAndSwap(m, n) {
					break
				}
			}
			wg.Go(func() {
				defer f.open.Add(-1)
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					out := answer(strings.TrimRight(line, "\r\n"))
					if out == nil {
						continue
					}
					time.Sleep(f.delay)
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return f
}

// missAll answers every get with a miss and ignores everything else.
func missAll(line string) []byte {
	if strings.HasPrefix(line, "get") {
		return []byte("END\r\n")
	}
	return nil
}

func blackHole(string) []byte { return nil }

func TestPoolSizeAndBacklog(t *testing.T) {
	f := startFake(t, 0, blackHole)
	s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, PoolSize: 1, Backlog: 1, ReadTimeout: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()

	// A holds the only connection until the read times out.
	errA := make(chan error, 1)
	go func() { _, err := s.Get(ctx, "session", "a"); errA <- err }()
	require.Eventually(t, func() bool { return f.accepted.Load() == 1 }, 5*time.Second, time.Millisecond)
	// B waits for it, until its context is cancelled. Once A holds the
	// slot and B waits, C fails at once. Until then C waits itself and gives
	// up after its short deadline; if C was the waiter when B came, B failed
	// at once and starts again.
	var (
		cancelB context.CancelFunc
		errB    = make(chan error, 1)
	)
	startB := func() {
		var ctxB context.Context
		ctxB, cancelB = context.WithCancel(ctx)
		go func() { _, err := s.Get(ctxB, "session", "b"); errB <- err }()
	}
	startB()
	var errC error
	for range 500 {
		select {
		case err := <-errB:
			require.ErrorIs(t, err, memcached.ErrPoolExhausted)
			cancelB()
			startB()
		default:
		}
		time.Sleep(time.Millisecond)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		_, errC = s.Get(cctx, "session", "c")
		cancel()
		if errors.Is(errC, memcached.ErrPoolExhausted) {
			break
		}
		require.ErrorIs(t, errC, context.DeadlineExceeded)
	}
	require.ErrorIs(t, errC, memcached.ErrPoolExhausted)

	cancelB()
	require.ErrorIs(t, <-errB, context.Canceled, "waiting for a connection honours ctx")

	err = <-errA
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "ReadTimeout bounds a request with no answer: %v", err)
}

func TestPoolSizeCapsConnections(t *testing.T) {
	f := startFake(t, 5*time.Millisecond, missAll)
	s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, PoolSize: 3})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			_, err := s.Get(t.Context(), "session", sessionKey())
			assert.ErrorIs(t, err, session.ErrNotFound)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, f.maxOpen.Load(), int64(3))
	assert.Positive(t, f.maxOpen.Load())

	require.NoError(t, s.Close())
	require.Eventually(t, func() bool { return f.open.Load() == 0 }, 5*time.Second, 10*time.Millisecond,
		"Close closes every connection")
}

func TestKeepaliveTimeout(t *testing.T) {
	f := startFake(t, 0, missAll)
	s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, KeepaliveTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	get := func() {
		_, err := s.Get(t.Context(), "session", "k")
		require.ErrorIs(t, err, session.ErrNotFound)
	}
	get()
	get()
	assert.Equal(t, int64(1), f.accepted.Load(), "a connection used within KeepaliveTimeout is reused")
	time.Sleep(250 * time.Millisecond)
	get()
	assert.Equal(t, int64(2), f.accepted.Load(), "an idle connection is replaced")
	require.Eventually(t, func() bool { return f.open.Load() == 1 }, 5*time.Second, 10*time.Millisecond,
		"the idle connection was closed")
}

func TestSharedPool(t *testing.T) {
	f := startFake(t, 0, missAll)
	cfg := memcached.Config{Servers: []string{f.addr}, Pool: "shared-pool-test"}
	a, err := memcached.New(cfg)
	require.NoError(t, err)
	cfg.Prefix = "b"
	b, err := memcached.New(cfg)
	require.NoError(t, err)
	_, err = a.Get(t.Context(), "session", "k")
	require.ErrorIs(t, err, session.ErrNotFound)
	_, err = b.Get(t.Context(), "session", "k")
	require.ErrorIs(t, err, session.ErrNotFound)
	assert.Equal(t, int64(1), f.accepted.Load(), "Storages with the same Pool share connections")

	require.NoError(t, a.Close())
	_, err = b.Get(t.Context(), "session", "k")
	require.ErrorIs(t, err, session.ErrNotFound, "the pool lives on while a Storage uses it")
	assert.Equal(t, int64(1), f.open.Load())
	require.NoError(t, b.Close())
	require.Eventually(t, func() bool { return f.open.Load() == 0 }, 5*time.Second, 10*time.Millisecond,
		"the last Close closes the pool")
}

func TestServerAnswersAreNotQuoted(t *testing.T) {
	const secret = "SECRETKEY"
	tests := []struct {
		name   string
		answer string
	}{
		{"server error", "SERVER_ERROR " + secret + "\r\n"},
		{"client error", "CLIENT_ERROR " + secret + "\r\n"},
		{"garbage line", secret + " what\r\n"},
		{"value for another key", "VALUE " + secret + "x 0 1\r\nx\r\nEND\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, 0, func(line string) []byte {
				if strings.HasPrefix(line, "get") || strings.HasPrefix(line, "set") || strings.HasPrefix(line, "gets") {
					return []byte(tt.answer)
				}
				return nil
			})
			s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, ReadTimeout: time.Second})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			_, err = s.Get(t.Context(), "session", secret)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), secret)
			assert.NotErrorIs(t, err, session.ErrNotFound)
			if !strings.HasPrefix(tt.answer, "VALUE") {
				assert.ErrorIs(t, err, memcached.ErrServer)
			}
			err = s.Set(t.Context(), "session", secret, []byte(secret), time.Minute, time.Now(), session.SetOptions{})
			require.Error(t, err)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

// TestContextBoundsRequestInFlight: a request on the wire ends with its
// caller's context (deadline or cancellation), not only with ReadTimeout.
func TestContextBoundsRequestInFlight(t *testing.T) {
	f := startFake(t, 0, blackHole)
	s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, ReadTimeout: time.Hour, SendTimeout: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	run := func(ctx context.Context) error {
		done := make(chan error, 1)
		go func() { _, err := s.Get(ctx, "session", "k"); done <- err }()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("Get did not return although its context ended")
			return nil
		}
	}
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		err := run(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		before := f.accepted.Load()
		go func() {
			// Cancel once the request is on the wire (a fresh connection,
			// the previous one was dropped after its timeout).
			for f.accepted.Load() == before {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			cancel()
		}()
		err := run(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("the storage still works", func(t *testing.T) {
		g := startFake(t, 0, missAll)
		s2, err := memcached.New(memcached.Config{Servers: []string{g.addr}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s2.Close() })
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err = s2.Get(ctx, "session", "k")
		require.ErrorIs(t, err, context.Canceled)
		_, err = s2.Get(t.Context(), "session", "k")
		require.ErrorIs(t, err, session.ErrNotFound, "an interrupted call leaves no trace on the next")
	})
}

// TestUnsureWriteFailsClosed: a Set with metadata whose request was written
// but never answered may have been applied, so the driver removes the
// session again; one refused before it was sent is left alone.
func TestUnsureWriteFailsClosed(t *testing.T) {
	var (
		mu    sync.Mutex
		lines []string
	)
	f := startFake(t, 0, func(line string) []byte {
		mu.Lock()
		lines = append(lines, line)
		mu.Unlock()
		return nil // never answers
	})
	s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, ReadTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	err = s.Set(t.Context(), "session", "k", []byte("v"), time.Minute, time.Now(), session.SetOptions{Metadata: md})
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Contains(t, err.Error(), "may have been applied")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(lines, "delete session%3Ak")
	}, 5*time.Second, 10*time.Millisecond, "the session was removed again")

	// Nothing listens here: the request is refused before it is sent.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	s2, err := memcached.New(memcached.Config{Servers: []string{l.Addr().String()}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s2.Close() })
	err = s2.Set(t.Context(), "session", "k", []byte("v"), time.Minute, time.Now(), session.SetOptions{Metadata: md})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "removed", "a request that was not sent is not undone")
}
