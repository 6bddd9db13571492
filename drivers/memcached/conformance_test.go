package memcached_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

func TestConformance(t *testing.T) {
	addr := sharedServer(t)
	raw := rawClient(addr)
	t.Cleanup(func() { _ = raw.Close() })
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, _ func() time.Time) session.Storage {
			return newShared(t, memcached.Config{})
		},
		FakeClock: false,
		Capabilities: conformance.Capabilities{
			MaxValueSize:   memcached.DefaultMaxValueSize,
			StaleMayExtend: true,
			IndexSize: func(_ context.Context, s session.Storage, name, audience, subject string) (int, error) {
				it, err := raw.Get(s.(*memcached.Storage).WireIndexKey(name, audience, subject))
				if errors.Is(err, memcache.ErrCacheMiss) {
					return 0, nil
				}
				if err != nil {
					return 0, err
				}
				return len(it.Value), nil
			},
		},
	})
}
