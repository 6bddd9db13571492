package mybench

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
	"github.com/sessionstore/sessionstore/session"
)

// Every store reads back what it wrote, in one round trip per operation,
// before any of its numbers counts.
func TestTargets(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets {
		t.Run(tg.Name, func(t *testing.T) {
			s, trips := tg.Open(t)
			k := sqlbench.SessionKey(1)
			require.NoError(t, s.Set(ctx, k, sqlbench.Value1K))
			before := trips.Load()
			got, err := s.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, sqlbench.Value1K, got)
			assert.Equal(t, int64(1), trips.Load()-before, "Get")
			before = trips.Load()
			require.NoError(t, s.Set(ctx, k, sqlbench.Value1K))
			assert.Equal(t, int64(1), trips.Load()-before, "Set")

			ix, ok := s.(sqlbench.Indexed)
			if !ok {
				return
			}
			p := session.Pair{Audience: "a", Subject: "s"}
			require.NoError(t, ix.SetIndexed(ctx, sqlbench.SessionKey(2), sqlbench.Value1K, p))
			require.NoError(t, ix.Rotate(ctx, sqlbench.SessionKey(2), sqlbench.SessionKey(3), sqlbench.Value1K, p))
			before = trips.Load()
			require.NoError(t, ix.Rotate(ctx, sqlbench.SessionKey(3), sqlbench.SessionKey(4), sqlbench.Value1K, p))
			assert.Equal(t, int64(1), trips.Load()-before, "Rotate1Pair")
			live, err := ix.ReadMetadata(ctx, p)
			require.NoError(t, err)
			assert.Len(t, live, 1)
			assert.Contains(t, live, sqlbench.SessionKey(4))
		})
	}
}
