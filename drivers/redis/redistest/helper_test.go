package redistest_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/drivers/redis/redistest"
	"github.com/sessionstore/sessionstore/session"
)

func client(t *testing.T, c goredis.UniversalClient) goredis.UniversalClient {
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestServerStopStart: a server keeps its address across Stop and Start, and comes back
// empty.
func TestServerStopStart(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithArgs("--maxmemory", "64mb"))
	assert.Equal(t, "127.0.0.1", srv.Host)
	ctx := t.Context()
	c := client(t, goredis.NewClient(&goredis.Options{Addr: srv.Addr, MaxRetries: -1}))
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	out, err := srv.CLI(ctx, "CONFIG", "GET", "maxmemory")
	require.NoError(t, err)
	assert.Contains(t, out, "67108864", "WithArgs reached redis-server")

	require.NoError(t, srv.Stop(ctx))
	require.Error(t, c.Ping(ctx).Err())
	require.NoError(t, srv.Start(ctx))
	require.Eventually(t, func() bool { return c.Ping(ctx).Err() == nil }, 30*time.Second, 50*time.Millisecond)
	n, err := c.Exists(ctx, "k").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "nothing is persisted")
}

// TestNewStorage: without an address, NewStorage starts a server of its own.
func TestNewStorage(t *testing.T) {
	t.Parallel()
	s := redistest.NewStorage(t, redis.Config{Prefix: "app"})
	ctx := t.Context()
	require.NoError(t, s.Set(ctx, "session", "k", []byte("v"), time.Minute, time.Now(), session.SetOptions{}))
	v, err := s.Get(ctx, "session", "k")
	require.NoError(t, err)
	assert.Equal(t, "v", string(v))
}

// TestCluster: the nodes announce loopback addresses on ports whose bus ports stay below
// the ephemeral range, the slots are covered, and MasterOf finds a slot's owner.
func TestCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t, redistest.WithReplicas(0))
	require.Len(t, cl.Nodes, 3)
	assert.Equal(t, 3, cl.Masters)
	ctx := t.Context()
	for _, n := range cl.Nodes {
		assert.True(t, strings.HasPrefix(n.Addr, "127.0.0.1:"))
		assert.Less(t, n.Port+10000, 32768, "the bus port is below the ephemeral range")
		assert.Same(t, n, cl.Node(n.Addr))
	}
	c := client(t, goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs}))
	slots, err := c.ClusterSlots(ctx).Result()
	require.NoError(t, err)
	covered := 0
	for _, s := range slots {
		covered += s.End - s.Start + 1
		assert.Equal(t, "127.0.0.1", strings.Split(s.Nodes[0].Addr, ":")[0], "announced on loopback")
	}
	assert.Equal(t, 16384, covered)
	owner, err := cl.MasterOf(ctx, 0)
	require.NoError(t, err)
	id, err := cl.NodeID(ctx, owner)
	require.NoError(t, err)
	info, err := owner.CLI(ctx, "CLUSTER", "NODES")
	require.NoError(t, err)
	assert.Contains(t, info, id+" 127.0.0.1:"+itoa(owner.Port))
}

// TestSentinel: the Sentinels name the master, and a client through them writes there.
func TestSentinel(t *testing.T) {
	t.Parallel()
	sen := redistest.StartSentinel(t)
	ctx := t.Context()
	addr, err := sen.MasterAddr(ctx)
	require.NoError(t, err)
	assert.Equal(t, sen.Primary.Addr, addr)
	assert.Same(t, sen.Primary, sen.Server(addr))
	require.Len(t, sen.Addrs, 3)
	c := client(t, goredis.NewFailoverClient(&goredis.FailoverOptions{MasterName: sen.Master, SentinelAddrs: sen.Addrs}))
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	direct := client(t, goredis.NewClient(&goredis.Options{Addr: sen.Primary.Addr}))
	assert.Equal(t, "v", direct.Get(ctx, "k").Val())
}

// TestTLS: a WithTLS server verifies against the test CA and its name.
func TestTLS(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithTLS(t.TempDir(), "cache.test", "127.0.0.1"))
	assert.Equal(t, "cache.test", srv.TLS.ServerName)
	s := redistest.NewStorage(t, redis.Config{Host: srv.Host, Port: srv.Port, SSL: true, RootCAs: srv.TLS.RootCAs})
	_, err := s.Get(t.Context(), "session", "k")
	require.ErrorIs(t, err, session.ErrNotFound, "127.0.0.1 is in the certificate: verified")
}

func TestRunTerminate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := redistest.Run(ctx)
	if redistest.Unavailable(err) {
		t.Skip(err)
	}
	require.NoError(t, err)
	require.NoError(t, srv.Terminate(ctx))
	require.NoError(t, srv.Terminate(ctx), "twice is a no-op")
	require.Error(t, (&redistest.Server{}).Stop(ctx), "a Server not started here")
}

func itoa(n int) string { return strconv.Itoa(n) }
