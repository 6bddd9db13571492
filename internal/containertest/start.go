package containertest

import (
	"context"
	"errors"
	"testing"

	"github.com/moby/moby/api/types/network"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// runAttempts bounds the retries when a chosen host port is taken before Docker binds it.
const runAttempts = 3

// Start starts a container for the test, waits until it is ready, and terminates it when
// the test and its subtests finish (t.Cleanup). Without a reachable Docker engine, or when
// the image is neither present nor pullable, it ends the test through SkipOrFail: a skip
// naming what is missing, or a failure when EnvRequireDocker=1. Any other problem (an
// invalid spec, a container that exits or never gets ready) fails the test.
func Start(t testing.TB, spec Spec) *Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pullTimeout+spec.readyTimeout())
	defer cancel()
	c, err := run(ctx, tclog.TestLogger(t), spec)
	if Unavailable(err) {
		SkipOrFail(t, spec, err)
	}
	if err != nil {
		t.Fatalf("%s: %v", spec.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := c.Terminate(ctx); err != nil {
			t.Errorf("%s: %v", spec.Name, err)
		}
	})
	return c
}

// Run starts a container like Start but without a testing.TB, for a TestMain that shares
// one container between tests; the caller must Terminate it. Its error matches ErrNoDocker
// or ErrNoImage when the container cannot run here (see Unavailable; a test then calls
// SkipOrFail), ErrInvalidSpec for a spec mistake, and ErrExited when the server exited
// before it was ready.
func Run(ctx context.Context, spec Spec) (*Container, error) {
	return run(ctx, tclog.Default(), spec)
}

// Unavailable reports whether err says that containers cannot run here (ErrNoDocker,
// ErrNoImage) rather than that one went wrong.
func Unavailable(err error) bool {
	return errors.Is(err, ErrNoDocker) || errors.Is(err, ErrNoImage)
}

// SkipOrFail ends the test because of err, an error from Run for which Unavailable is true:
// it skips, with a message saying what is missing and how to get it (the image's
// environment variable and build script), or fails when EnvRequireDocker=1.
func SkipOrFail(t testing.TB, spec Spec, err error) {
	t.Helper()
	hint := spec.Image.howToBuild() // an ErrNoImage error already says it
	if errors.Is(err, ErrNoDocker) {
		hint = "start Docker, see DEVELOPERS.md; " + hint
	}
	if RequireDocker() {
		t.Fatalf("%s: %v; %s=1 requires the container tests to run (%s)", spec.Name, err, EnvRequireDocker, hint)
	}
	t.Skipf("%s: %v; skipping the container test (%s; set %s=1 to fail instead)", spec.Name, err, hint, EnvRequireDocker)
}

func run(ctx context.Context, logger tclog.Logger, spec Spec) (*Container, error) {
	ports, err := spec.validate()
	if err != nil {
		return nil, err
	}
	prepareEnv()

	cli, err := connectDocker(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()

	if err := ensureImage(ctx, cli, spec.Image); err != nil {
		return nil, err
	}
	image := spec.Image.Resolve()

	if spec.HostNetwork {
		// The caller chose the ports; the server binds them itself.
		hostPorts := make(map[network.Port]int, len(ports))
		for _, p := range ports {
			hostPorts[p] = int(p.Num())
		}
		return create(ctx, logger, spec, image, ports, hostPorts)
	}

	// A port can be taken by someone else between choosing and binding it: retry a few times.
	var lastErr error
	for range runAttempts {
		hostPorts := make(map[network.Port]int, len(ports))
		for _, p := range ports {
			hp, err := pickPort()
			if err != nil {
				return nil, err
			}
			hostPorts[p] = hp
		}
		c, err := create(ctx, logger, spec, image, ports, hostPorts)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if !isPortConflict(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}
