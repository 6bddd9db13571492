package containertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ErrNoImage reports that the image is not present locally and could not be pulled
// (typically: no registry reachable). Start turns it into a skip like ErrNoDocker.
var ErrNoImage = errors.New("containertest: image not available")

const pullTimeout = 5 * time.Minute

// failedPulls remembers, per image, the ErrNoImage error of a pull that failed, so that a
// test binary starting many containers without registry access tries to pull only once.
var failedPulls sync.Map // image name → error

// ensureImage pulls the image once, with a bounded time, when it is not present locally.
// testcontainers would otherwise retry a failing pull with backoff for many minutes.
func ensureImage(ctx context.Context, cli *testcontainers.DockerClient, img Image) error {
	name := img.Resolve()
	if _, err := cli.ImageInspect(ctx, name); err == nil {
		return nil
	}
	if err, ok := failedPulls.Load(name); ok {
		return err.(error)
	}
	pullCtx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	err := func() error {
		resp, err := cli.ImagePull(pullCtx, name, client.ImagePullOptions{})
		if err != nil {
			return err
		}
		defer resp.Close()
		return resp.Wait(pullCtx)
	}()
	if err == nil {
		_, err = cli.ImageInspect(ctx, name)
	}
	if err != nil {
		if ctx.Err() != nil { // the caller gave up: say so, and let a later call try again
			return fmt.Errorf("pull image %q: %w", name, ctx.Err())
		}
		err = fmt.Errorf("%w: %q is not present and could not be pulled (%v); %s", ErrNoImage, name, err, img.howToBuild())
		failedPulls.Store(name, err)
		return err
	}
	return nil
}
