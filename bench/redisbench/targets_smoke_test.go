package redisbench

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
)

// TestTargets checks every adapter before any number is trusted: a Set is read back
// byte for byte under the key prefill writes (wireKey), and a miss is an error, not an empty value.
func TestTargets(t *testing.T) {
	ctx := context.Background()
	addr := redisAddr(t)
	raw := newGoredis(addr)
	defer raw.Close()
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			s := tg.open(t, addr)
			defer func() { assert.NoError(t, s.Close()) }()
			k := uniqueKey()
			require.NoError(t, s.Set(ctx, k, workload.Value1K))
			got, err := s.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, workload.Value1K, got)
			stored, err := raw.Get(ctx, wireKey(k)).Bytes()
			require.NoError(t, err, "the store keeps key under wireKey")
			assert.Equal(t, workload.Value1K, stored)
			_, err = s.Get(ctx, uniqueKey())
			assert.Error(t, err, "a key never set must be a miss")
		})
	}
}
