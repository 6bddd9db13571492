package sqlbench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRotated(t *testing.T) {
	ts := []Target{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	names := func(ts []Target) (out []string) {
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", "c"}, names(Rotated(ts, "")))
	assert.Equal(t, []string{"b", "c", "a"}, names(Rotated(ts, "1")))
	assert.Equal(t, []string{"c", "a", "b"}, names(Rotated(ts, "5")))
	assert.Equal(t, []string{"a", "b", "c"}, names(ts), "the original order stays")
}

func TestSessionKey(t *testing.T) {
	assert.Len(t, SessionKey(7), 43)
	assert.NotEqual(t, SessionKey(7), SessionKey(8))
	assert.Equal(t, "YQ", Encode("a"))
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 2*time.Second, median([]time.Duration{3 * time.Second, time.Second, 2 * time.Second}))
}
