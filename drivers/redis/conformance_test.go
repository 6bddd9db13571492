package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// conformanceMaxValue is the value limit the conformance runs use: the suite stores a
// value of exactly this size, and 16 MiB (the default) per case would only slow it down.
const conformanceMaxValue = 1 << 20

// TestConformance runs the whole contract suite on one server, behind Sentinel and on a
// Cluster, at once.
func TestConformance(t *testing.T) {
	for _, topo := range topologies(t) {
		t.Run(topo.name, func(t *testing.T) {
			t.Parallel()
			raw := topo.raw(t)
			conformance.Run(t, conformance.Harness{
				NewStorage: func(t *testing.T, _ func() time.Time) session.Storage {
					return newStorage(t, topo.config(redis.Config{MaxValueSize: conformanceMaxValue}))
				},
				FakeClock: false, // Redis expires items by its own clock
				Capabilities: conformance.Capabilities{
					MaxValueSize: conformanceMaxValue,
					IndexSize: func(ctx context.Context, s session.Storage, name, audience, subject string) (int, error) {
						n, err := raw.MemoryUsage(ctx, s.(*redis.Storage).IndexKey(name, audience, subject)).Result()
						if errors.Is(err, goredis.Nil) {
							return 0, nil
						}
						return int(n), err
					},
				},
				DamageIndex: func(ctx context.Context, s session.Storage, name, audience, subject string) error {
					return damageIndex(ctx, raw, s.(*redis.Storage).IndexKey(name, audience, subject))
				},
			})
		})
	}
}

// damageIndex is the damage a sorted set can take: a foreign write of a member no writer
// of sessions makes (bytes that are no session key) with an expiry no writer makes (+inf).
// (A write of another type under the index's name is damage too, but it destroys the
// entries it replaces, which the suite's case requires to survive; the driver's own tests
// cover it.)
func damageIndex(ctx context.Context, raw goredis.UniversalClient, idx string) error {
	return raw.Do(ctx, "zadd", idx, "+inf", "\x00torn:write;\xff").Err()
}
