package bench

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
)

// TestTargets checks every adapter before any number is trusted: a Set is
// read back byte for byte, and a miss is an error, not an empty value.
func TestTargets(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets {
		kind := "memory"
		if tg.memcached {
			kind = "memcached"
		}
		t.Run(kind+"/"+tg.name, func(t *testing.T) {
			addr := ""
			if tg.memcached {
				addr = memcachedAddr(t)
			}
			s := tg.open(t, addr)
			defer func() { assert.NoError(t, s.Close()) }()

			k := workload.SessionKey(int(run.Add(1)))
			require.NoError(t, s.Set(ctx, k, workload.Value1K))
			got, err := s.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, workload.Value1K, got)

			_, err = s.Get(ctx, workload.SessionKey(int(run.Add(1))))
			assert.Error(t, err, "a key never set must be a miss")
		})
	}
}
