package redis_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// blackhole is a server on a loopback port that accepts connections, reads what is sent
// and never answers: a hung Redis. It needs no Docker.
type blackhole struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newBlackhole(t *testing.T) *blackhole {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &blackhole{l: l}
	b.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			b.wg.Go(func() {
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		_ = l.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			_ = c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *blackhole) addr() string { return b.l.Addr().String() }

func (b *blackhole) hostPort(t *testing.T) (string, int) {
	host, port, err := net.SplitHostPort(b.addr())
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return host, p
}

// slowTimeouts are far longer than any ctx deadline the tests use, so that only the
// ctx can have ended a call.
func slowTimeouts(cfg redis.Config) redis.Config {
	cfg.ConnectTimeout, cfg.SendTimeout, cfg.ReadTimeout = time.Minute, time.Minute, time.Minute
	return cfg
}

// TestContextBoundsEveryCall: against a server that never answers, every operation on
// every topology returns once its ctx's deadline passes, with an error wrapping ctx's
// (contract 2.14), though every network timeout is a minute. A cancelled ctx: by
// default the call returns within one network timeout (go-redis does not interrupt a
// read on cancellation), with PromptCancel at once; either way the error wraps
// context.Canceled.
func TestContextBoundsEveryCall(t *testing.T) {
	b := newBlackhole(t)
	host, port := b.hostPort(t)
	configs := map[string]redis.Config{
		"single":   {Host: host, Port: port},
		"sentinel": {Sentinels: []string{b.addr()}, Master: "mymaster"},
		"cluster":  {Nodes: []string{b.addr()}},
	}
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	ops := map[string]func(ctx context.Context, s *redis.Storage) error{
		"Set": func(ctx context.Context, s *redis.Storage) error {
			return s.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: sessionKey(), Metadata: md})
		},
		"Get": func(ctx context.Context, s *redis.Storage) error {
			_, err := s.Get(ctx, "session", sessionKey())
			return err
		},
		"Delete": func(ctx context.Context, s *redis.Storage) error {
			return s.Delete(ctx, "session", sessionKey(), time.Now(), md)
		},
		"ReadMetadata": func(ctx context.Context, s *redis.Storage) error {
			_, err := s.ReadMetadata(ctx, "session", "a", "s", time.Now())
			return err
		},
	}
	// call runs op with ctx and checks that it failed with want before bound, which is
	// far below the network timeouts that would end it otherwise: not a speed check.
	call := func(t *testing.T, s *redis.Storage, opName string, ctx context.Context, want error, bound time.Duration) {
		t.Helper()
		start := time.Now()
		err := ops[opName](ctx, s)
		require.ErrorIs(t, err, want, "%s", opName)
		assert.Less(t, time.Since(start), bound, "%s is bounded", opName)
	}
	for name, cfg := range configs {
		// go-redis's handshake with a Sentinel that never answers outlives the call (it
		// waits for its read timeout) and go-redis's Close waits for it: with a minute
		// that would be a minute. Three seconds still tell a ctx's bound from a timeout.
		slow, bound := time.Minute, 20*time.Second
		if name == "sentinel" {
			slow, bound = 3*time.Second, 2500*time.Millisecond
		}
		withTimeouts := func(cfg redis.Config, d time.Duration) redis.Config {
			cfg.ConnectTimeout, cfg.SendTimeout, cfg.ReadTimeout = d, d, d
			return cfg
		}
		t.Run(name+"/deadline", func(t *testing.T) {
			t.Parallel()
			s, err := redis.New(withTimeouts(cfg, slow))
			require.NoError(t, err)
			defer func() { require.NoError(t, s.Close()) }()
			for opName := range ops {
				ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
				call(t, s, opName, ctx, context.DeadlineExceeded, bound)
				cancel()
			}
		})
		t.Run(name+"/cancel", func(t *testing.T) {
			t.Parallel()
			s, err := redis.New(withTimeouts(cfg, 2*time.Second))
			require.NoError(t, err)
			defer func() { require.NoError(t, s.Close()) }()
			for opName := range ops {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(100*time.Millisecond, cancel)
				call(t, s, opName, ctx, context.Canceled, 10*time.Second) // one 2 s timeout, not more
				cancel()
			}
		})
		t.Run(name+"/cancel/PromptCancel", func(t *testing.T) {
			t.Parallel()
			cfg := withTimeouts(cfg, slow)
			cfg.PromptCancel = true
			s, err := redis.New(cfg)
			require.NoError(t, err)
			defer func() { require.NoError(t, s.Close()) }()
			for opName := range ops {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(100*time.Millisecond, cancel)
				call(t, s, opName, ctx, context.Canceled, bound)
				cancel()
			}
		})
	}
}

// TestPoolAndBacklogFull: with PoolSize+Backlog calls waiting on a hung server, one more
// call fails at once with ErrPoolExhausted, while the others are still waiting; they end
// with their ctx.
func TestPoolAndBacklogFull(t *testing.T) {
	b := newBlackhole(t)
	host, port := b.hostPort(t)
	cfg := slowTimeouts(redis.Config{Host: host, Port: port, PoolSize: 2, Backlog: 3, PromptCancel: true})
	s, err := redis.New(cfg)
	require.NoError(t, err)
	defer s.Close()

	ctx, cancel := context.WithCancel(t.Context())
	const waiting = 5 // PoolSize + Backlog
	errs := make(chan error, waiting)
	for range waiting {
		go func() {
			_, err := s.Get(ctx, "session", sessionKey())
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return s.InFlight() == waiting }, 10*time.Second, 5*time.Millisecond)

	_, err = s.Get(t.Context(), "session", sessionKey())
	require.ErrorIs(t, err, redis.ErrPoolExhausted)
	assert.Contains(t, err.Error(), "5 calls in flight")
	assert.Len(t, errs, 0, "the admitted calls are still waiting")
	err = s.Set(t.Context(), "session", sessionKey(), []byte("v"), time.Hour, time.Now(), session.SetOptions{})
	require.ErrorIs(t, err, redis.ErrPoolExhausted)

	cancel()
	for range waiting {
		err := <-errs
		require.Error(t, err)
		assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	}
	// The abandoned calls end when Close closes the client under them, not a minute later.
	start := time.Now()
	require.NoError(t, s.Close())
	assert.Zero(t, s.InFlight())
	assert.Less(t, time.Since(start), 30*time.Second)
}
