package containertest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/sessionstore/sessionstore/internal/containertest/fake"
)

// requireStartGivesUp checks that Start(tb, spec) skips by default and
// fails under EnvRequireDocker=1, neither time returning, with a message
// that holds want.
func requireStartGivesUp(t *testing.T, spec Spec, want ...string) {
	t.Helper()
	fake.RequireGivesUp(t, EnvRequireDocker, func(tb testing.TB) { Start(tb, spec) }, want...)
}

// runStart calls Start(tb, spec) on its own goroutine and reports whether
// it returned.
func runStart(tb *fake.TB, spec Spec) bool {
	return fake.Run(tb, func(tb testing.TB) { Start(tb, spec) })
}

func redisLikeSpec() Spec {
	return Spec{
		Name:  "unittest",
		Image: RedisImage,
		Ports: []string{"6379/tcp"},
		Probe: RequestProbe("PING\r\n", "+PONG"),
	}
}

func TestStartWithoutDocker(t *testing.T) {
	orig := connectDocker
	t.Cleanup(func() { connectDocker = orig })
	connectDocker = func(context.Context) (*testcontainers.DockerClient, error) {
		return nil, fmt.Errorf("%w: dial unix /var/run/docker.sock: connect: no such file or directory", ErrNoDocker)
	}
	requireStartGivesUp(t, redisLikeSpec(), "no Docker engine reachable", "no such file or directory",
		"start Docker", "SESSIONSTORE_REDIS_IMAGE", "scripts/build-redis-image.sh", "unittest:")
}

func TestStartInvalidSpecFails(t *testing.T) {
	t.Setenv(EnvRequireDocker, "")
	spec := redisLikeSpec()
	spec.Ports = []string{"not-a-port"}
	tb := &fake.TB{}
	assert.False(t, runStart(tb, spec))
	assert.Empty(t, tb.SkipMessage, "a spec mistake is never skipped")
	assert.Contains(t, tb.FailMessage, "invalid spec")
	assert.Contains(t, tb.FailMessage, "not-a-port")
}

func TestUnavailable(t *testing.T) {
	assert.True(t, Unavailable(fmt.Errorf("x: %w", ErrNoDocker)))
	assert.True(t, Unavailable(fmt.Errorf("x: %w", ErrNoImage)))
	assert.False(t, Unavailable(fmt.Errorf("x: %w", ErrExited)))
	assert.False(t, Unavailable(nil))
}

// TestStartWithoutImage: a reachable engine that has not got the image and cannot pull it
// (no registry) skips the test, or fails it when Docker is required; a second Start does
// not try to pull again.
func TestStartWithoutImage(t *testing.T) {
	cli, err := connectDocker(t.Context())
	if err != nil {
		SkipOrFail(t, redisLikeSpec(), err)
	}
	require.NoError(t, err)
	_ = cli.Close()
	const missing = "sessionstore/containertest-no-such-image:missing"
	spec := redisLikeSpec()
	spec.Image = Image{Env: "CONTAINERTEST_MISSING_IMAGE", Default: "redis:7.0", BuildScript: "scripts/build-redis-image.sh"}
	t.Setenv(spec.Image.Env, missing)
	t.Cleanup(func() { failedPulls.Delete(missing) })

	_, err = Run(t.Context(), spec)
	require.ErrorIs(t, err, ErrNoImage)
	assert.NotErrorIs(t, err, ErrNoDocker)
	assert.Contains(t, err.Error(), missing)
	assert.Contains(t, err.Error(), spec.Image.Env, "the error says how to use a local image")
	assert.Contains(t, err.Error(), spec.Image.BuildScript, "and how to build one")
	_, ok := failedPulls.Load(missing)
	require.True(t, ok, "a failed pull is remembered")

	// Start reports the remembered failure instead of pulling again.
	failedPulls.Store(missing, fmt.Errorf("%w: remembered failure", ErrNoImage))
	requireStartGivesUp(t, spec, "remembered failure", spec.Image.Env, spec.Image.BuildScript)
}
