package containertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSettingArgs(t *testing.T) {
	args := SettingArgs(map[string]string{"b": "1", "a": "2"}, map[string]string{"b": "3", "c": "4"},
		func(k, v string) []string { return []string{"-c", k + "=" + v} })
	assert.Equal(t, []string{"-c", "a=2", "-c", "b=3", "-c", "c=4"}, args, "defaults overridden, in name order")
	assert.Empty(t, SettingArgs(nil, nil, func(k, v string) []string { return []string{k} }))
}

func TestCollect(t *testing.T) {
	type option func(*Settings)
	set := func(k, v string) option { return func(s *Settings) { s.Set(k, v) } }
	assert.Equal(t, Settings{"a": "1", "b": "2"}, Collect([]option{set("a", "1"), nil, set("b", "2")}))
	assert.Nil(t, Collect[option](nil))
}

// A helper's zero Server (no Database) says so instead of panicking.
func TestKindNotStarted(t *testing.T) {
	k := &Kind{Name: "footest"}
	ctx := context.Background()
	assert.EqualError(t, k.Stop(ctx, nil), "footest: stop: server not started by footest")
	assert.ErrorContains(t, k.StartAgain(ctx, nil), "not started by footest")
	assert.ErrorContains(t, k.Terminate(ctx, nil), "not started by footest")
}
