package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/drivers/redis/redistest"
)

// The shared topologies every container-backed test uses, each test with its own key
// prefix; nil when they could not start (sharedErr says why). Fault tests start their own.
var (
	sharedSingle   *redistest.Server
	sharedCluster  *redistest.Cluster
	sharedSentinel *redistest.Sentinel
	sharedErr      error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	var wg sync.WaitGroup
	var errs [3]error
	wg.Go(func() { sharedSingle, errs[0] = redistest.Run(ctx) })
	wg.Go(func() { sharedCluster, errs[1] = redistest.RunCluster(ctx) })
	wg.Go(func() { sharedSentinel, errs[2] = redistest.RunSentinel(ctx) })
	wg.Wait()
	cancel()
	sharedErr = errors.Join(errs[:]...)
	code := m.Run()
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	var terr []error
	if sharedSingle != nil {
		terr = append(terr, sharedSingle.Terminate(ctx))
	}
	if sharedCluster != nil {
		terr = append(terr, sharedCluster.Terminate(ctx))
	}
	if sharedSentinel != nil {
		terr = append(terr, sharedSentinel.Terminate(ctx))
	}
	if err := errors.Join(terr...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	cancel()
	if code == 0 {
		// Docker's client keeps idle HTTP connections alive; they are not this package's.
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// requireShared skips (fails with SESSIONSTORE_REQUIRE_DOCKER=1) when the shared
// topologies did not start because containers cannot run here, and fails on any other
// start-up error.
func requireShared(t testing.TB) {
	t.Helper()
	if sharedErr == nil {
		return
	}
	if redistest.Unavailable(sharedErr) && os.Getenv(redistest.EnvRequireDocker) != "1" && os.Getenv(redistest.EnvRequireDocker) != "true" {
		t.Skipf("redis containers unavailable: %v (set %s=1 to fail instead)", sharedErr, redistest.EnvRequireDocker)
	}
	t.Fatalf("redis containers: %v", sharedErr)
}

// topology is one way of reaching Redis, for tests that run on each.
type topology struct {
	name string
	// config points cfg at the shared topology.
	config func(cfg redis.Config) redis.Config
	// raw returns a plain go-redis client on it (RESP2, as lua-resty-redis speaks),
	// closed at cleanup.
	raw func(t testing.TB) goredis.UniversalClient
}

func topologies(t testing.TB) []topology {
	requireShared(t)
	return []topology{
		{
			name: "single",
			config: func(cfg redis.Config) redis.Config {
				cfg.Host, cfg.Port = sharedSingle.Host, sharedSingle.Port
				return cfg
			},
			raw: func(t testing.TB) goredis.UniversalClient {
				return rawClient(t, goredis.NewClient(&goredis.Options{Addr: sharedSingle.Addr, Protocol: 2}))
			},
		},
		{
			name: "sentinel",
			config: func(cfg redis.Config) redis.Config {
				cfg.Sentinels, cfg.Master = sharedSentinel.Addrs, sharedSentinel.Master
				return cfg
			},
			raw: func(t testing.TB) goredis.UniversalClient {
				return rawClient(t, goredis.NewFailoverClient(&goredis.FailoverOptions{
					MasterName: sharedSentinel.Master, SentinelAddrs: sharedSentinel.Addrs, Protocol: 2,
				}))
			},
		},
		{
			name: "cluster",
			config: func(cfg redis.Config) redis.Config {
				cfg.Nodes = sharedCluster.Addrs
				return cfg
			},
			raw: func(t testing.TB) goredis.UniversalClient {
				return rawClient(t, goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: sharedCluster.Addrs, Protocol: 2}))
			},
		},
	}
}

func rawClient(t testing.TB, c goredis.UniversalClient) goredis.UniversalClient {
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var prefixSeq atomic.Int64

// uniquePrefix isolates a test's keys on a shared topology.
func uniquePrefix() string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("t%d-%x", prefixSeq.Add(1), r)
}

// newStorage returns a Storage for cfg with a unique prefix (unless cfg has one), closed
// at cleanup. Timeouts are generous: the machine running the tests may be busy, and no
// test on a shared topology is about timeouts.
func newStorage(t testing.TB, cfg redis.Config) *redis.Storage {
	t.Helper()
	if cfg.Prefix == "" {
		cfg.Prefix = uniquePrefix()
	}
	if cfg.Client == nil {
		for _, d := range []*time.Duration{&cfg.ConnectTimeout, &cfg.SendTimeout, &cfg.ReadTimeout} {
			if *d == 0 {
				*d = 5 * time.Second
			}
		}
	}
	s, err := redis.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

var b64 = base64.RawURLEncoding

// sessionKey returns a fresh 43-character base64url key, as lua-resty-session makes them.
func sessionKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}
