package bench

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

func init() {
	register(target{name: "ours", memcached: true, open: func(tb testing.TB, addr string) kv {
		return oursKV{openOursMemcached(tb, addr)}
	}})
	register(target{name: "ours", open: func(testing.TB, string) kv { return oursKV{memory.New()} }})
}

// closer is what both our drivers add to session.Storage.
type closer interface {
	session.Storage
	Close() error
}

// oursKV calls the session.Storage interface exactly as a session layer
// does: cookie name, the caller's clock, no options.
type oursKV struct{ s closer }

func (k oursKV) Set(ctx context.Context, key string, v []byte) error {
	return k.s.Set(ctx, cookieName, key, v, ttl, time.Now(), session.SetOptions{})
}

func (k oursKV) Get(ctx context.Context, key string) ([]byte, error) {
	return k.s.Get(ctx, cookieName, key)
}

func (k oursKV) Close() error { return k.s.Close() }

func openOursMemcached(tb testing.TB, addr string) *memcached.Storage {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatalf("memcached address %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		tb.Fatalf("memcached address %q: %v", addr, err)
	}
	s, err := memcached.New(memcached.Config{Host: host, Port: p, PoolSize: poolSize})
	if err != nil {
		tb.Fatalf("memcached.New: %v", err)
	}
	return s
}
