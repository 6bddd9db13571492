package pgbench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRotated(t *testing.T) {
	ts := []target{{name: "a"}, {name: "b"}, {name: "c"}}
	names := func(ts []target) (out []string) {
		for _, t := range ts {
			out = append(out, t.name)
		}
		return out
	}
	assert.Equal(t, []string{"a", "b", "c"}, names(rotated(ts, "")))
	assert.Equal(t, []string{"b", "c", "a"}, names(rotated(ts, "1")))
	assert.Equal(t, []string{"c", "a", "b"}, names(rotated(ts, "5")))
	assert.Equal(t, []string{"a", "b", "c"}, names(ts), "the original order stays")
}
