package pgbench

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// Every store reads back what it wrote, in one round trip per operation
// once its statements are prepared, before any of its numbers counts.
func TestTargets(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			s, trips := tg.open(t)
			k := sessionKey(1)
			for range 2 { // the second pass runs on prepared statements
				require.NoError(t, s.Set(ctx, k, value1K))
				before := trips.Load()
				got, err := s.Get(ctx, k)
				require.NoError(t, err)
				assert.Equal(t, value1K, got)
				if n := trips.Load() - before; n > 2 {
					t.Fatalf("Get took %d round trips", n)
				}
			}
			before := trips.Load()
			require.NoError(t, s.Set(ctx, k, value1K))
			assert.Equal(t, int64(1), trips.Load()-before, "Set")

			ix, ok := s.(indexed)
			if !ok {
				return
			}
			p := session.Pair{Audience: "a", Subject: "s"}
			require.NoError(t, ix.SetIndexed(ctx, sessionKey(2), value1K, p))
			require.NoError(t, ix.Rotate(ctx, sessionKey(2), sessionKey(3), value1K, p))
			require.NoError(t, ix.Rotate(ctx, sessionKey(3), sessionKey(4), value1K, p))
			before = trips.Load()
			require.NoError(t, ix.Rotate(ctx, sessionKey(4), sessionKey(5), value1K, p))
			assert.Equal(t, int64(1), trips.Load()-before, "Rotate1Pair")
			live, err := ix.ReadMetadata(ctx, p)
			require.NoError(t, err)
			assert.Len(t, live, 1)
			assert.Contains(t, live, sessionKey(5))
		})
	}
}
