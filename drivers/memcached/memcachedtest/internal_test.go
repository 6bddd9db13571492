package memcachedtest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/internal/containertest"
	"github.com/sessionstore/sessionstore/internal/containertest/fake"
)

// The generic parts (engine detection, environment, pulls, ports, readiness) are tested in
// internal/containertest; these tests cover what this package adds or must keep.

func TestImage(t *testing.T) {
	t.Setenv(EnvImage, "")
	assert.Equal(t, DefaultImage, Image())
	t.Setenv(EnvImage, " sessionstore/memcached:local ")
	assert.Equal(t, "sessionstore/memcached:local", Image())
}

func TestImageMatchesCore(t *testing.T) {
	assert.Equal(t, containertest.MemcachedImage, image, "one name for the variable CI exports")
	assert.Equal(t, containertest.EnvRequireDocker, EnvRequireDocker)
}

func TestSpec(t *testing.T) {
	s := spec([]Option{WithArgs("-I", "2m"), nil, WithArgs("-m", "64")})
	assert.Equal(t, "memcachedtest", s.Name, "keeps the label org.sessionstore.memcachedtest=1")
	assert.Equal(t, []string{"11211/tcp"}, s.Ports)
	assert.Equal(t, []string{"-I", "2m", "-m", "64"}, s.Cmd)
	assert.NotNil(t, s.Probe)
	assert.Empty(t, spec(nil).Cmd, "no flags: the image's own command")
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, probe(ctx, fake.ReplyServer(t, "VERSION 1.6.18\r\n")))
	require.ErrorContains(t, probe(ctx, fake.ReplyServer(t, "ERROR\r\n")), "unexpected answer")
	require.Error(t, probe(ctx, fake.ReplyServer(t, "")), "a connection closed without answer is not ready")
	require.Error(t, probe(ctx, fake.ClosedAddr(t)), "nothing listening")
}

// requireStartGivesUp checks that Start skips by default and fails under
// EnvRequireDocker=1, neither time returning, with a message that holds want.
func requireStartGivesUp(t *testing.T, want ...string) {
	t.Helper()
	fake.RequireGivesUp(t, EnvRequireDocker, func(tb testing.TB) { Start(tb) }, want...)
}

// TestStartWithoutImage: a reachable engine that has not got the image and cannot pull it
// (no registry) skips the test, or fails it when Docker is required, saying how to build a
// local image. (That the failed pull is remembered is tested in the core.)
func TestStartWithoutImage(t *testing.T) {
	const missing = "sessionstore/memcachedtest-no-such-image:missing"
	t.Setenv(EnvImage, missing)

	_, err := Run(t.Context())
	if errors.Is(err, ErrNoDocker) {
		t.Setenv(EnvImage, "")
		Start(t) // skips, or fails when Docker is required
	}
	require.ErrorIs(t, err, ErrNoImage)
	assert.NotErrorIs(t, err, ErrNoDocker)
	assert.Contains(t, err.Error(), missing)
	assert.Contains(t, err.Error(), EnvImage, "the error says how to use a local image")

	// Start reports the (remembered) failure the same way.
	requireStartGivesUp(t, missing, EnvImage, "scripts/build-memcached-image.sh", "memcachedtest")
}

func TestNewStorageBadConfigFails(t *testing.T) {
	tb := &fake.TB{}
	fake.Run(tb, func(tb testing.TB) {
		NewStorage(tb, memcached.Config{Socket: "/tmp/mc.sock", Servers: []string{"127.0.0.1:1"}})
	})
	assert.Contains(t, tb.FailMessage, "memcached.New")
	assert.Contains(t, tb.FailMessage, "invalid configuration")
}

func TestTerminateStoppedServer(t *testing.T) {
	srv, err := Run(t.Context())
	if errors.Is(err, ErrNoDocker) || errors.Is(err, ErrNoImage) {
		Start(t) // skips, or fails when Docker is required
	}
	require.NoError(t, err)
	require.NoError(t, srv.Stop(t.Context()))
	require.NoError(t, srv.Terminate(t.Context()), "a stopped server can be terminated")
}

func TestZeroServerErrs(t *testing.T) {
	var s Server
	ctx := t.Context()
	assert.ErrorContains(t, s.Stop(ctx), "not started")
	assert.ErrorContains(t, s.Start(ctx), "not started")
	assert.ErrorContains(t, s.Terminate(ctx), "not started")
}
