package memcached_test

// Fault tests against a server that accepts connections and never answers:
// a call times out after ReadTimeout, and callers beyond PoolSize+Backlog
// fail at once.

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// silentServer is a loopback TCP server that accepts connections, reads and never answers.
type silentServer struct {
	ln       net.Listener
	accepted chan struct{} // one value per accepted connection
	mu       sync.Mutex
	conns    []net.Conn
	done     chan struct{}
}

func newSilentServer(t *testing.T) *silentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &silentServer{ln: ln, accepted: make(chan struct{}, 1024), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }() // ends when c is closed
			s.accepted <- struct{}{}
		}
	}()
	t.Cleanup(s.close)
	return s
}

// dropConns closes every accepted connection: blocked clients see EOF.
func (s *silentServer) dropConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

func (s *silentServer) close() {
	_ = s.ln.Close()
	<-s.done
	s.dropConns()
}

// TestFaultSilentServerTimesOut: a server that accepts and never answers costs a call its
// ReadTimeout, then a timeout error; it does not hang.
func TestFaultSilentServerTimesOut(t *testing.T) {
	checkLeaks(t)
	silent := newSilentServer(t)
	cfg := memcached.Config{Servers: []string{silent.ln.Addr().String()}, ReadTimeout: 200 * time.Millisecond, SendTimeout: 200 * time.Millisecond}
	store, err := memcached.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, store.Close()) })

	key := faultKey(t)
	_, err = store.Get(t.Context(), "session", key)
	assertCleanFailure(t, err, key, "")
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "want a timeout, got %v", err)
}

// TestFaultPoolExhausted: against a server that never answers, PoolSize callers hold the
// connections, Backlog callers wait, and every caller beyond that fails at once with
// ErrPoolExhausted, while the others are still stuck (so it did not wait for them). The
// waiters then get the connections the holders release: they were queued, not rejected.
func TestFaultPoolExhausted(t *testing.T) {
	checkLeaks(t)
	const (
		poolSize = 2
		backlog  = 3
		excess   = 5
	)
	silent := newSilentServer(t)
	store, err := memcached.New(memcached.Config{
		Servers:  []string{silent.ln.Addr().String()},
		PoolSize: poolSize,
		Backlog:  backlog,
		// Long enough that the holders keep their slots for the whole test; they are
		// released by dropping their connections, not by waiting.
		ReadTimeout: 2 * time.Minute,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, store.Close()) })
	t.Cleanup(silent.dropConns) // runs first: frees calls still blocked if the test fails

	type result struct {
		who string
		err error
	}
	results := make(chan result, poolSize+backlog+excess)
	var wg, entered sync.WaitGroup
	call := func(who string) {
		entered.Done()
		_, err := store.Get(t.Context(), "session", faultKey(t))
		results <- result{who, err}
	}
	// awaitAccepts waits for n new connections on the silent server.
	awaitAccepts := func(n int, what string) {
		for i := range n {
			select {
			case <-silent.accepted:
			case r := <-results:
				t.Fatalf("%s: a %s returned before %d connections were made: %v", what, r.who, n, r.err)
			case <-time.After(time.Minute): // safety net against a hang, not a speed assertion
				t.Fatalf("%s: only %d of %d connections were made", what, i, n)
			}
		}
	}

	// The holders: each takes a connection and blocks reading from the silent server.
	entered.Add(poolSize)
	for range poolSize {
		wg.Go(func() { call("holder") })
	}
	awaitAccepts(poolSize, "holders")

	// Backlog+excess more callers: backlog of them queue, the rest must fail at once.
	entered.Add(backlog + excess)
	for range backlog + excess {
		wg.Go(func() { call("caller") })
	}
	entered.Wait()
	for i := range excess {
		select {
		case r := <-results:
			require.Equal(t, "caller", r.who, "result %d", i)
			require.ErrorIs(t, r.err, memcached.ErrPoolExhausted, "result %d", i)
			assert.NotErrorIs(t, r.err, session.ErrNotFound)
		case <-time.After(time.Minute): // safety net against a hang
			t.Fatalf("only %d of %d excess callers failed fast", i, excess)
		}
	}

	// Release the holders: their connections are dropped under them. The queued callers
	// take the freed slots and connect in turn; each new connection is dropped as well.
	silent.dropConns()
	var got, waitersConnected int
	for got < poolSize+backlog {
		select {
		case <-silent.accepted:
			waitersConnected++
			silent.dropConns()
		case r := <-results:
			got++
			require.Error(t, r.err)
			require.NotErrorIs(t, r.err, memcached.ErrPoolExhausted, "a %s was rejected after the excess: it should have been queued", r.who)
			assert.True(t, isConnFailure(r.err), "%s: want the dropped connection's error, got %v", r.who, r.err)
		case <-time.After(time.Minute): // safety net against a hang
			t.Fatalf("only %d of %d holders and waiters returned", got, poolSize+backlog)
		}
	}
	assert.Equal(t, backlog, waitersConnected, "every queued caller got a connection once slots were free")
	wg.Wait()
	select {
	case r := <-results:
		t.Fatalf("unexpected extra result from a %s: %v", r.who, r.err)
	default:
	}

	// The pool is usable again: a new caller gets a slot (and the silent server).
	stop := make(chan struct{})
	released := make(chan struct{})
	go func() {
		defer close(released)
		select {
		case <-silent.accepted:
			silent.dropConns()
		case <-stop:
		}
	}()
	_, err = store.Get(t.Context(), "session", faultKey(t))
	close(stop)
	<-released
	require.Error(t, err)
	assert.NotErrorIs(t, err, memcached.ErrPoolExhausted, "slots are released after use")
}
