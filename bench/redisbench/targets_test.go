package redisbench

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/redisstore"
	fiberredis "github.com/gofiber/storage/redis/v3"
	"github.com/gomodule/redigo/redis"
	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
	ours "github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// EnvRedis names the environment variable holding the loopback redis-server address
// ("127.0.0.1:port") the benchmarks use.
const EnvRedis = "SESSIONSTORE_BENCH_REDIS"

const (
	cookieName = "session"
	ttl        = time.Hour
	// poolSize is the connection cap given to every client, so that no store wins by
	// opening more sockets than another.
	poolSize = 16
)

// kv is what a session layer does to a plain session, in each store's own API.
type kv interface {
	workload.KV
	Close() error
}

// target is one store under test.
type target struct {
	name string
	open func(tb testing.TB, addr string) kv
}

var targets = []target{
	{name: "ours", open: openOurs},
	{name: "ours-promptcancel", open: openOursPromptCancel},
	{name: "goredis", open: openGoredis},
	{name: "scs-redisstore", open: openSCSRedigo},
	{name: "scs-goredisstore", open: openSCSGoredis},
	{name: "fiber", open: openFiber},
}

// wireKey is the Redis key every store keeps session key under: our driver's name for
// it (no prefix), which the peers are given as their prefix or key, so that all of them
// share one prefilled keyspace (a million 1 KiB sessions once, not per store).
func wireKey(key string) string { return cookieName + ":" + key }

var errMiss = errors.New("redisbench: miss")

// --- ours ---------------------------------------------------------------------

type oursKV struct{ s *ours.Storage }

func openOurs(tb testing.TB, addr string) kv { return oursKV{openOursStorage(tb, addr, nil, false)} }

// openOursPromptCancel is our driver with PromptCancel: a call whose ctx is cancelled
// returns at once, at the price of a goroutine per call with a cancellable ctx (the Mix
// benchmarks give every caller one).
func openOursPromptCancel(tb testing.TB, addr string) kv {
	return oursKV{openOursStorage(tb, addr, nil, true)}
}

func openOursStorage(tb testing.TB, addr string, client goredis.UniversalClient, promptCancel bool) *ours.Storage {
	cfg := ours.Config{Client: client, CloseClient: client != nil, PromptCancel: promptCancel}
	if client == nil {
		cfg.Host, cfg.Port = splitAddr(tb, addr)
		cfg.PoolSize = poolSize
	}
	s, err := ours.New(cfg)
	if err != nil {
		tb.Fatalf("redis.New: %v", err)
	}
	return s
}

// Set and Get call session.Storage as a session layer does: cookie name, the caller's
// clock, no options.
func (k oursKV) Set(ctx context.Context, key string, v []byte) error {
	return k.s.Set(ctx, cookieName, key, v, ttl, time.Now(), session.SetOptions{})
}
func (k oursKV) Get(ctx context.Context, key string) ([]byte, error) {
	return k.s.Get(ctx, cookieName, key)
}
func (k oursKV) Close() error { return k.s.Close() }

// --- raw go-redis: the floor ---------------------------------------------------

type goredisKV struct{ c *goredis.Client }

func newGoredis(addr string) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: poolSize, ContextTimeoutEnabled: true})
}

func openGoredis(_ testing.TB, addr string) kv { return goredisKV{newGoredis(addr)} }

func (k goredisKV) Set(ctx context.Context, key string, v []byte) error {
	return k.c.Set(ctx, wireKey(key), v, ttl).Err()
}
func (k goredisKV) Get(ctx context.Context, key string) ([]byte, error) {
	return k.c.Get(ctx, wireKey(key)).Bytes()
}
func (k goredisKV) Close() error { return k.c.Close() }

// --- alexedwards/scs redisstore (redigo) ---------------------------------------

type scsRedigoKV struct {
	s    *redisstore.RedisStore
	pool *redis.Pool
}

func openSCSRedigo(_ testing.TB, addr string) kv {
	pool := &redis.Pool{
		MaxIdle:   poolSize,
		MaxActive: poolSize,
		Wait:      true,
		Dial:      func() (redis.Conn, error) { return redis.Dial("tcp", addr, redis.DialConnectTimeout(time.Second)) },
	}
	return scsRedigoKV{redisstore.NewWithPrefix(pool, cookieName+":"), pool}
}

func (k scsRedigoKV) Set(_ context.Context, key string, v []byte) error {
	return k.s.Commit(key, v, time.Now().Add(ttl))
}
func (k scsRedigoKV) Get(_ context.Context, key string) ([]byte, error) {
	return found(k.s.Find(key))
}
func (k scsRedigoKV) Close() error { return k.pool.Close() }

// --- alexedwards/scs goredisstore ----------------------------------------------

type scsGoredisKV struct {
	s *goredisstore.RedisStore
	c *goredis.Client
}

func openSCSGoredis(_ testing.TB, addr string) kv {
	c := newGoredis(addr)
	return scsGoredisKV{goredisstore.NewWithPrefix(c, cookieName+":"), c}
}

func (k scsGoredisKV) Set(ctx context.Context, key string, v []byte) error {
	return k.s.CommitCtx(ctx, key, v, time.Now().Add(ttl))
}
func (k scsGoredisKV) Get(ctx context.Context, key string) ([]byte, error) {
	return found(k.s.FindCtx(ctx, key))
}
func (k scsGoredisKV) Close() error { return k.c.Close() }

func found(v []byte, ok bool, err error) ([]byte, error) {
	if err == nil && !ok {
		err = errMiss
	}
	return v, err
}

// --- gofiber/storage redis ------------------------------------------------------

type fiberKV struct{ s *fiberredis.Storage }

func openFiber(tb testing.TB, addr string) kv {
	host, port := splitAddr(tb, addr)
	return fiberKV{fiberredis.New(fiberredis.Config{Host: host, Port: port, PoolSize: poolSize})}
}

func (k fiberKV) Set(ctx context.Context, key string, v []byte) error {
	return k.s.SetWithContext(ctx, wireKey(key), v, ttl)
}
func (k fiberKV) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := k.s.GetWithContext(ctx, wireKey(key))
	if err == nil && v == nil {
		err = errMiss
	}
	return v, err
}
func (k fiberKV) Close() error { return k.s.Close() }

// --- keys, values, the server -------------------------------------------------

func redisAddr(tb testing.TB) string {
	addr := os.Getenv(EnvRedis)
	if addr == "" {
		tb.Skipf("%s is unset: no redis-server to benchmark against (run.sh starts one)", EnvRedis)
	}
	return addr
}

func splitAddr(tb testing.TB, addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatalf("redis address %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		tb.Fatalf("redis address %q: %v", addr, err)
	}
	return host, p
}

// prefill writes n sessions through pipelines (a million single SETs would take
// longer than the benchmarks), unless the keyspace is already full.
func prefill(tb testing.TB, addr string, n int) {
	tb.Helper()
	c := newGoredis(addr)
	defer c.Close()
	ctx := context.Background()
	ks := workload.Keys(n)
	if got, err := c.Exists(ctx, wireKey(ks[n-1])).Result(); err == nil && got == 1 {
		return
	}
	for i := 0; i < n; i += 1000 {
		pipe := c.Pipeline()
		for _, k := range ks[i:min(i+1000, n)] {
			pipe.Set(ctx, wireKey(k), workload.Value1K, ttl)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			tb.Fatalf("prefill: %v", err)
		}
	}
	runtime.GC()
}
