package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
	"github.com/bradfitz/gomemcache/memcache"
	fibermemory "github.com/gofiber/storage/memory/v2"
	gokvmc "github.com/philippgille/gokv/memcached"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
)

// EnvMemcached names the environment variable holding the loopback
// memcached address ("127.0.0.1:port") the memcached benchmarks use.
const EnvMemcached = "SESSIONSTORE_BENCH_MEMCACHED"

// cookieName is the session name every target uses; with no prefix our
// memcached driver stores key K as "session%3AK" (lua-resty-session's
// escaping), and the memcached peers are given that same wire key so that
// all of them share one prefilled keyspace.
const cookieName = "session"

// ttl is long enough that nothing expires during a run.
const ttl = time.Hour

// poolSize is the connection cap given to every memcached client, so no
// client wins by opening more sockets than another.
const poolSize = 16

// kv is the common shape of every target: the operations a session layer
// performs on a plain session. Adapters do what a caller of that library
// has to do (compute an expiry, build an item, …) and nothing more.
type kv interface {
	workload.KV
	Close() error
}

// target is one store under test.
type target struct {
	name string
	// memcached is true for targets that need the loopback memcached.
	memcached bool
	// open builds a store; addr is the memcached address ("" for memory).
	open func(tb testing.TB, addr string) kv
}

// targets lists every store in table order. Our drivers register
// themselves from ours_*_test.go so that the peers can be benchmarked on
// their own.
var targets = []target{
	{name: "scs", open: openSCS},
	{name: "fiber", open: openFiber},
	{name: "mapcopy", open: openMapCopy},
	{name: "gomemcache", memcached: true, open: openGomemcache},
	{name: "gokv", memcached: true, open: openGokv},
}

func register(t target) { targets = append([]target{t}, targets...) }

var errMiss = errors.New("bench: miss")

// --- alexedwards/scs memstore ---------------------------------------------

type scsKV struct{ s *memstore.MemStore }

// openSCS starts no cleanup goroutine: memstore.New's goroutine races with
// StopCleanup (go test -race reports it on memstore.go:103/127, the bug of
// alexedwards/scs#228), and a once-a-minute sweep does not change any
// number measured here.
func openSCS(testing.TB, string) kv { return scsKV{memstore.NewWithCleanupInterval(0)} }

func (k scsKV) Set(_ context.Context, key string, v []byte) error {
	return k.s.Commit(key, v, time.Now().Add(ttl))
}

func (k scsKV) Get(_ context.Context, key string) ([]byte, error) {
	v, ok, err := k.s.Find(key)
	if err == nil && !ok {
		err = errMiss
	}
	return v, err
}

func (k scsKV) Close() error { k.s.StopCleanup(); return nil }

// --- gofiber/storage memory -------------------------------------------------

type fiberKV struct{ s *fibermemory.Storage }

func openFiber(testing.TB, string) kv { return fiberKV{fibermemory.New()} }

func (k fiberKV) Set(ctx context.Context, key string, v []byte) error {
	return k.s.SetWithContext(ctx, key, v, ttl)
}

func (k fiberKV) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := k.s.GetWithContext(ctx, key)
	if err == nil && v == nil {
		err = errMiss
	}
	return v, err
}

func (k fiberKV) Close() error { return k.s.Close() }

// --- a plain map that copies, the memory floor -------------------------------

// mapCopyKV is the least a store that copies values can do: one map behind
// one RWMutex, the value copied in on Set and out on Get, no expiry. scs
// hands out its own slice, so beating it says little about copying stores;
// this row is the floor for them, as gomemcache is for memcached clients.
type mapCopyKV struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func openMapCopy(testing.TB, string) kv { return &mapCopyKV{m: map[string][]byte{}} }

func (k *mapCopyKV) Set(_ context.Context, key string, v []byte) error {
	v = slices.Clone(v)
	k.mu.Lock()
	k.m[key] = v
	k.mu.Unlock()
	return nil
}

func (k *mapCopyKV) Get(_ context.Context, key string) ([]byte, error) {
	k.mu.RLock()
	v, ok := k.m[key]
	k.mu.RUnlock()
	if !ok {
		return nil, errMiss
	}
	return slices.Clone(v), nil
}

func (k *mapCopyKV) Close() error { return nil }

// --- bradfitz/gomemcache, the floor -----------------------------------------

type gomemcacheKV struct{ c *memcache.Client }

func newGomemcache(addr string) *memcache.Client {
	c := memcache.New(addr)
	c.MaxIdleConns = poolSize
	c.Timeout = time.Second
	return c
}

func openGomemcache(_ testing.TB, addr string) kv { return gomemcacheKV{newGomemcache(addr)} }

func (k gomemcacheKV) Set(_ context.Context, key string, v []byte) error {
	return k.c.Set(&memcache.Item{Key: wireKey(key), Value: v, Expiration: int32(ttl / time.Second)})
}

func (k gomemcacheKV) Get(_ context.Context, key string) ([]byte, error) {
	it, err := k.c.Get(wireKey(key))
	if err != nil {
		return nil, err
	}
	return it.Value, nil
}

func (k gomemcacheKV) Close() error { return k.c.Close() }

// --- philippgille/gokv memcached --------------------------------------------

// rawCodec hands []byte through unchanged. gokv's default codec is JSON,
// which would base64 a []byte value and cost gokv a third more bytes on the
// wire; session values are opaque bytes, so the fair comparison is raw.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: %T is not []byte", v)
	}
	return b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: %T is not *[]byte", v)
	}
	*p = data
	return nil
}

type gokvKV struct{ c gokvmc.Client }

func openGokv(tb testing.TB, addr string) kv {
	timeout := time.Second
	c, err := gokvmc.NewClient(gokvmc.Options{
		Addresses:    []string{addr},
		Timeout:      &timeout,
		MaxIdleConns: poolSize,
		Codec:        rawCodec{},
	})
	if err != nil {
		tb.Fatalf("gokv: %v", err)
	}
	return gokvKV{c}
}

// Set: gokv has no TTL (philippgille/gokv#86), so its items never expire;
// it is measured as it is.
func (k gokvKV) Set(_ context.Context, key string, v []byte) error {
	return k.c.Set(wireKey(key), v)
}

func (k gokvKV) Get(_ context.Context, key string) ([]byte, error) {
	var v []byte
	found, err := k.c.Get(wireKey(key), &v)
	if err == nil && !found {
		err = errMiss
	}
	return v, err
}

func (k gokvKV) Close() error { return k.c.Close() }

// wireKey is the memcached key our driver uses for (cookieName, key) with
// no prefix: "session:K" with ':' escaped as lua-resty-session does. Keys
// here are base64url, which needs no other escaping.
func wireKey(key string) string { return cookieName + "%3A" + key }

// --- keys and values ----------------------------------------------------------

func memcachedAddr(tb testing.TB) string {
	addr := os.Getenv(EnvMemcached)
	if addr == "" {
		tb.Skipf("%s is unset: no memcached to benchmark against (bench/run.sh starts one)", EnvMemcached)
	}
	return addr
}

// --- prefilled stores, kept across benchmark invocations ---------------------

// The testing package calls a benchmark function several times (growing
// b.N, and -count times); filling a million sessions each time would
// dominate the run. So the last prefilled store is kept, and dropped (and
// the heap collected) as soon as another one is asked for, so that one
// target's million sessions never slow down the next target's GC.
var (
	cacheMu  sync.Mutex
	cacheID  string
	cacheKV  kv
	prefills = map[string]bool{} // memcached keyspaces already filled
)

func prefilled(b *testing.B, t target, n int) kv {
	b.Helper()
	id := fmt.Sprintf("%s/%d", t.name, n)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if cacheID == id {
		return cacheKV
	}
	dropCacheLocked()
	addr := ""
	if t.memcached {
		addr = memcachedAddr(b)
	}
	s := t.open(b, addr)
	if t.memcached {
		prefillMemcached(b, addr, n)
	} else {
		ctx := context.Background()
		for _, k := range workload.Keys(n) {
			if err := s.Set(ctx, k, workload.Value1K); err != nil {
				b.Fatalf("prefill %s: %v", t.name, err)
			}
		}
	}
	runtime.GC()
	cacheID, cacheKV = id, s
	return s
}

func dropCacheLocked() {
	if cacheKV != nil {
		_ = cacheKV.Close()
	}
	cacheID, cacheKV = "", nil
	runtime.GC()
}

func dropCache() {
	cacheMu.Lock()
	dropCacheLocked()
	cacheMu.Unlock()
}

// prefillMemcached writes the first n keys once per memcached process (a
// marker item records it), with raw gomemcache from several goroutines.
// All memcached targets read the same wire keys.
func prefillMemcached(b *testing.B, addr string, n int) {
	b.Helper()
	marker := fmt.Sprintf("bench-prefilled-%d-%d", workload.ValueSize, n)
	if prefills[marker] {
		return
	}
	c := newGomemcache(addr)
	defer c.Close()
	if _, err := c.Get(marker); err == nil {
		prefills[marker] = true
		return
	}
	ks := workload.Keys(n)
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(ks); i += workers {
				if err := (gomemcacheKV{c}).Set(context.Background(), ks[i], workload.Value1K); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("prefill memcached: %v", err)
	}
	if err := c.Set(&memcache.Item{Key: marker, Value: []byte("1"), Expiration: int32(ttl / time.Second)}); err != nil {
		b.Fatalf("prefill marker: %v", err)
	}
	prefills[marker] = true
}
