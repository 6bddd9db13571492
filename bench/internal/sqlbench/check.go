package sqlbench

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// CheckTargets: every store reads back what it wrote, in one round trip
// per operation, before any of its numbers counts. prepared is for a
// client that prepares each statement on first use (pgx): Get may take
// two round trips while a statement is new, each check runs twice, and
// two rotations warm the rotation's statements up before one is counted.
func CheckTargets(t *testing.T, targets []Target, prepared bool) {
	ctx := context.Background()
	for _, tg := range targets {
		t.Run(tg.Name, func(t *testing.T) {
			s, trips := tg.Open(t)
			k := SessionKey(1)
			passes := 1
			if prepared {
				passes = 2 // the second pass runs on prepared statements
			}
			for range passes {
				require.NoError(t, s.Set(ctx, k, Value1K))
				before := trips.Load()
				got, err := s.Get(ctx, k)
				require.NoError(t, err)
				assert.Equal(t, Value1K, got)
				n := trips.Load() - before
				if prepared {
					require.LessOrEqual(t, n, int64(2), "Get: %d round trips", n)
				} else {
					assert.Equal(t, int64(1), n, "Get")
				}
			}
			before := trips.Load()
			require.NoError(t, s.Set(ctx, k, Value1K))
			assert.Equal(t, int64(1), trips.Load()-before, "Set")

			ix, ok := s.(Indexed)
			if !ok {
				return
			}
			p := session.Pair{Audience: "a", Subject: "s"}
			key := 2
			require.NoError(t, ix.SetIndexed(ctx, SessionKey(key), Value1K, p))
			for range passes {
				require.NoError(t, ix.Rotate(ctx, SessionKey(key), SessionKey(key+1), Value1K, p))
				key++
			}
			before = trips.Load()
			require.NoError(t, ix.Rotate(ctx, SessionKey(key), SessionKey(key+1), Value1K, p))
			assert.Equal(t, int64(1), trips.Load()-before, "Rotate1Pair")
			live, err := ix.ReadMetadata(ctx, p)
			require.NoError(t, err)
			assert.Len(t, live, 1)
			assert.Contains(t, live, SessionKey(key+1))
		})
	}
}
