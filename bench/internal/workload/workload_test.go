package workload

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeysAndValue(t *testing.T) {
	assert.Len(t, SessionKey(7), 43)
	assert.NotEqual(t, SessionKey(7), SessionKey(8))
	ks := Keys(3)
	assert.Equal(t, []string{SessionKey(0), SessionKey(1), SessionKey(2)}, ks)
	assert.Equal(t, ks, Keys(5)[:3], "generated once, in order")
	assert.Len(t, Value1K, ValueSize)
}

// Keys are 43 characters of base64url, as lua-resty-session's, all
// distinct.
func TestSessionKeyShape(t *testing.T) {
	seen := map[string]bool{}
	for i := range 1000 {
		k := SessionKey(i)
		require.Len(t, k, 43)
		require.Regexp(t, `^[A-Za-z0-9_-]+$`, k)
		require.False(t, seen[k], "duplicate key at %d", i)
		seen[k] = true
	}
}

func TestRotated(t *testing.T) {
	ts := []string{"a", "b", "c"}
	assert.Equal(t, []string{"a", "b", "c"}, Rotated(ts, ""))
	assert.Equal(t, []string{"b", "c", "a"}, Rotated(ts, "1"))
	assert.Equal(t, []string{"c", "a", "b"}, Rotated(ts, "5"))
	assert.Equal(t, []string{"c", "a", "b"}, Rotated(ts, "-1"))
	assert.Equal(t, []string{"a", "b", "c"}, ts, "the original order stays")
}
