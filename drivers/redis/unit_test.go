package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// These tests need no server.

func TestConfigErrors(t *testing.T) {
	app := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = app.Close() })
	ring := goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	t.Cleanup(func() { _ = ring.Close() })
	tests := []struct {
		name string
		cfg  redis.Config
		want string
	}{
		{"negative timeout", redis.Config{ReadTimeout: -1}, "ReadTimeout must not be negative"},
		{"negative pool", redis.Config{PoolSize: -1}, "PoolSize must not be negative"},
		{"negative backlog", redis.Config{Backlog: -2}, "Backlog must not be negative"},
		{"negative value limit", redis.Config{MaxValueSize: -1}, "MaxValueSize must not be negative"},
		{"bad retries", redis.Config{MaxRetries: -2}, "MaxRetries"},
		{"negative max connection timeout", redis.Config{MaxConnectionTimeout: -time.Second}, "MaxConnectionTimeout"},
		{"port", redis.Config{Port: 70000}, "Port must be between"},
		{"negative database", redis.Config{Database: -1}, "Database must not be negative"},
		{"host with space", redis.Config{Host: "a b"}, "white space"},
		{"empty socket", redis.Config{Socket: "unix:"}, "Socket: empty path"},
		{"nodes and sentinels", redis.Config{Nodes: []string{"a:1"}, Sentinels: []string{"b:2"}, Master: "m"}, "mutually exclusive"},
		{"nodes and host", redis.Config{Nodes: []string{"a:1"}, Host: "b"}, "mutually exclusive"},
		{"nodes and database", redis.Config{Nodes: []string{"a:1"}, Database: 1}, "database 0 only"},
		{"node without port", redis.Config{Nodes: []string{"a"}}, `Nodes[0]: want "host:port"`},
		{"node twice", redis.Config{Nodes: []string{"a:1", "a:1"}}, "Nodes[1]: listed twice"},
		{"sentinels without master", redis.Config{Sentinels: []string{"a:1"}}, "Master"},
		{"sentinels and socket", redis.Config{Sentinels: []string{"a:1"}, Master: "m", Socket: "/s"}, "mutually exclusive"},
		{"bad role", redis.Config{Sentinels: []string{"a:1"}, Master: "m", Role: "leader"}, "Role"},
		{"master without sentinels", redis.Config{Master: "m"}, "need Sentinels"},
		{"redirections without cluster", redis.Config{MaxRedirections: 3}, "needs Nodes"},
		{"tls fields without ssl", redis.Config{ServerName: "x"}, "require SSL"},
		{"client and host", redis.Config{Client: app, Host: "h"}, "Client excludes"},
		{"client and pool", redis.Config{Client: app, PoolSize: 3}, "Client excludes"},
		{"close client without client", redis.Config{CloseClient: true}, "CloseClient needs Client"},
		{"ring", redis.Config{Client: ring}, "Ring is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redis.New(tt.cfg)
			require.ErrorIs(t, err, redis.ErrConfig)
			assert.Contains(t, err.Error(), tt.want)
			assert.Nil(t, s)
		})
	}
}

// TestNewDoesNotDial: New only validates; a Storage on an address nobody listens on
// is made at once, and its calls fail with ErrUnavailable.
func TestNewDoesNotDial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().(*net.TCPAddr)
	require.NoError(t, l.Close()) // nobody listens there now
	for _, cfg := range []redis.Config{
		{Host: "127.0.0.1", Port: addr.Port},
		{Sentinels: []string{addr.String()}, Master: "m"},
		{Nodes: []string{addr.String()}},
		{Socket: "/nonexistent/redis.sock"},
	} {
		cfg.MaxRetries = -1
		s, err := redis.New(cfg)
		require.NoError(t, err)
		_, err = s.Get(t.Context(), "session", "k")
		require.Error(t, err)
		assert.NotErrorIs(t, err, session.ErrNotFound)
		assert.True(t, errors.Is(err, redis.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded), "%v", err)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close(), "Close is idempotent")
		_, err = s.Get(t.Context(), "session", "k")
		require.ErrorIs(t, err, session.ErrClosed)
	}
}

// TestNamedPool: Storages with the same Pool share one client, closed with the last; a
// different configuration under a name in use is refused.
func TestNamedPool(t *testing.T) {
	a, err := redis.New(redis.Config{Pool: "shared", Port: 1})
	require.NoError(t, err)
	b, err := redis.New(redis.Config{Pool: "shared", Port: 1, Prefix: "other"})
	require.NoError(t, err, "the prefix is no connection setting")
	assert.Same(t, a.Client(), b.Client())
	_, err = redis.New(redis.Config{Pool: "shared", Port: 2})
	require.ErrorIs(t, err, redis.ErrConfig)

	require.NoError(t, a.Close())
	_, err = b.Client().Get(t.Context(), "k").Result()
	assert.NotErrorIs(t, err, goredis.ErrClosed, "the pool stays open for b")
	require.NoError(t, b.Close())
	_, err = b.Client().Get(t.Context(), "k").Result()
	assert.ErrorIs(t, err, goredis.ErrClosed, "the last Storage closed it")

	c, err := redis.New(redis.Config{Pool: "shared", Port: 2})
	require.NoError(t, err, "a closed pool's name is free again")
	require.NoError(t, c.Close())
}

// TestApplicationClient: a Storage on the application's client leaves it open unless
// told, reports its address, and admits PoolSize+Backlog calls.
func TestApplicationClient(t *testing.T) {
	app := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", PoolSize: 7})
	s, err := redis.New(redis.Config{Client: app, Prefix: "p"})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", s.Endpoint().Address)
	assert.Equal(t, 1, s.Endpoint().Port)
	assert.Equal(t, "redis", s.Endpoint().System)
	require.NoError(t, s.Close())
	_, err = app.Get(t.Context(), "k").Result()
	assert.NotErrorIs(t, err, goredis.ErrClosed, "not the Storage's to close")

	s, err = redis.New(redis.Config{Client: app, CloseClient: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = app.Get(t.Context(), "k").Result()
	assert.ErrorIs(t, err, goredis.ErrClosed, "CloseClient")

	cl := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{"10.0.0.1:7000"}})
	s, err = redis.New(redis.Config{Client: cl, CloseClient: true})
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.1", s.Endpoint().Address)
	require.NoError(t, s.Close())
}

func TestEndpoint(t *testing.T) {
	for _, tt := range []struct {
		cfg  redis.Config
		host string
		port int
	}{
		{redis.Config{}, "127.0.0.1", 6379},
		{redis.Config{Host: "::1", Port: 7000}, "::1", 7000},
		{redis.Config{Socket: "unix:/run/redis.sock"}, "/run/redis.sock", 0},
		{redis.Config{Sentinels: []string{"10.0.0.2:26379", "10.0.0.3:26379"}, Master: "m"}, "10.0.0.2", 26379},
		{redis.Config{Nodes: []string{"[::1]:7001"}}, "::1", 7001},
	} {
		s, err := redis.New(tt.cfg)
		require.NoError(t, err)
		assert.Equal(t, tt.host, s.Endpoint().Address)
		assert.Equal(t, tt.port, s.Endpoint().Port)
		require.NoError(t, s.Close())
	}
}

// TestBadInputWritesNothing: arguments are checked before anything is sent (a Storage on
// a dead address would fail otherwise), and the errors quote no key.
func TestBadInputWritesNothing(t *testing.T) {
	s, err := redis.New(redis.Config{Port: 1, MaxValueSize: 10})
	require.NoError(t, err)
	defer s.Close()
	ctx := t.Context()
	secret := sessionKey()
	err = s.Set(ctx, "session", secret, make([]byte, 11), time.Hour, time.Now(), session.SetOptions{})
	require.ErrorIs(t, err, session.ErrTooLarge)
	assert.Contains(t, err.Error(), "limit 10 bytes")
	err = s.Set(ctx, "session", secret+":x", []byte("v"), time.Hour, time.Now(), session.SetOptions{})
	require.ErrorIs(t, err, session.ErrInvalidArgument)
	assert.NotContains(t, err.Error(), secret)
	err = s.Set(ctx, "session", secret, []byte("v"), 200*365*24*time.Hour, time.Unix(253402300799-3600, 0), session.SetOptions{})
	require.ErrorIs(t, err, session.ErrInvalidArgument, "an expiry past the year 9999")
	var nilCtx context.Context
	_, err = s.Get(nilCtx, "session", secret)
	require.ErrorIs(t, err, session.ErrInvalidArgument)
	_, err = s.ReadMetadata(ctx, "session", "", "s", time.Now())
	require.ErrorIs(t, err, session.ErrInvalidArgument)
	require.ErrorIs(t, s.Delete(ctx, "", secret, time.Now(), nil), session.ErrInvalidArgument)
}

func TestCeilMillis(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		time.Nanosecond:                        1,
		time.Millisecond:                       1,
		time.Millisecond + 1:                   2,
		500 * time.Millisecond:                 500,
		time.Hour:                              3600000,
		time.Duration(1<<63 - 1):               9223372036855,
		999*time.Microsecond + time.Nanosecond: 1,
	} {
		assert.Equal(t, want, redis.CeilMillis(d), "%v", d)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{goredis.ErrPoolTimeout, redis.ErrPoolExhausted},
		{goredis.ErrClosed, session.ErrClosed},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, redis.ErrUnavailable},
		{errors.New("EOF"), redis.ErrUnavailable},
		{goredis.ErrNoScript, redis.ErrServer},
		{goredis.ErrCrossSlot, redis.ErrServer},
		{context.Canceled, nil},
		{errors.New("something else"), nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, redis.Classify(tt.err), "%v", tt.err)
	}
}

// ExampleNew_invalidConfig shows that New reports a bad configuration without touching
// the network.
func ExampleNew_invalidConfig() {
	_, err := redis.New(redis.Config{Nodes: []string{"10.0.0.1:7000"}, Database: 2})
	fmt.Println(errors.Is(err, redis.ErrConfig))
	fmt.Println(err)
	// Output:
	// true
	// redis: invalid configuration: Database must be 0 with Nodes: a Redis Cluster has database 0 only
}
