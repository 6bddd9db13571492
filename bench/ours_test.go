package bench

import (
	"context"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

func init() {
	register(target{name: "ours", open: func(testing.TB, string) kv { return oursKV{memory.New()} }})
}

// oursKV calls the session.Storage interface exactly as a session layer
// does: cookie name, the caller's clock, no options.
type oursKV struct{ s session.Storage }

func (k oursKV) Set(ctx context.Context, key string, v []byte) error {
	return k.s.Set(ctx, cookieName, key, v, ttl, time.Now(), session.SetOptions{})
}

func (k oursKV) Get(ctx context.Context, key string) ([]byte, error) {
	return k.s.Get(ctx, cookieName, key)
}

func (k oursKV) Close() error { return k.s.Close() }
