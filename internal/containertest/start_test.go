package containertest

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
)

// fakeTB records Skipf/Fatalf and ends the calling goroutine like testing.T does.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()             {}
func (f *fakeTB) Logf(string, ...any) {}
func (f *fakeTB) Cleanup(func())      {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runStart calls Start(tb, spec) on its own goroutine (Skipf and Fatalf end it) and reports
// whether Start returned.
func runStart(tb *fakeTB, spec Spec) (returned bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(tb, spec)
		returned = true
	}()
	<-done
	return returned
}

// requireStartGivesUp checks that Start skips by default and fails under
// EnvRequireDocker=1, neither time returning, with a message that holds want.
func requireStartGivesUp(t *testing.T, spec Spec, want ...string) {
	t.Helper()
	cases := []struct {
		name, require string
		skip          bool
	}{
		{name: "skips by default", require: "", skip: true},
		{name: "fails when required", require: "1", skip: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvRequireDocker, tc.require)
			tb := &fakeTB{}
			assert.False(t, runStart(tb, spec), "Start must not return")
			msg := tb.failed
			if tc.skip {
				msg = tb.skipped
				assert.Empty(t, tb.failed)
				assert.Contains(t, msg, EnvRequireDocker+"=1 to fail instead")
			} else {
				assert.Empty(t, tb.skipped)
				assert.Contains(t, msg, EnvRequireDocker+"=1 requires")
			}
			for _, w := range want {
				assert.Contains(t, msg, w)
			}
		})
	}
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
	tb := &fakeTB{}
	assert.False(t, runStart(tb, spec))
	assert.Empty(t, tb.skipped, "a spec mistake is never skipped")
	assert.Contains(t, tb.failed, "invalid spec")
	assert.Contains(t, tb.failed, "not-a-port")
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
