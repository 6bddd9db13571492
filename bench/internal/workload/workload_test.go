package workload

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKeysAndValue(t *testing.T) {
	assert.Len(t, SessionKey(7), 43)
	assert.NotEqual(t, SessionKey(7), SessionKey(8))
	ks := Keys(3)
	assert.Equal(t, []string{SessionKey(0), SessionKey(1), SessionKey(2)}, ks)
	assert.Equal(t, ks, Keys(5)[:3], "generated once, in order")
	assert.Len(t, Value1K, ValueSize)
}

func TestRotated(t *testing.T) {
	ts := []string{"a", "b", "c"}
	assert.Equal(t, []string{"a", "b", "c"}, Rotated(ts, ""))
	assert.Equal(t, []string{"b", "c", "a"}, Rotated(ts, "1"))
	assert.Equal(t, []string{"c", "a", "b"}, Rotated(ts, "5"))
	assert.Equal(t, []string{"c", "a", "b"}, Rotated(ts, "-1"))
	assert.Equal(t, []string{"a", "b", "c"}, ts, "the original order stays")
}
