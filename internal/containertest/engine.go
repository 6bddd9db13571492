package containertest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ErrNoDocker reports that no Docker engine could be reached. Start turns it into a skip
// (or a failure when EnvRequireDocker is set); callers of Run decide themselves.
var ErrNoDocker = errors.New("containertest: no Docker engine reachable")

const pingTimeout = 10 * time.Second

// connectDocker is dockerClient; tests replace it to simulate a missing engine (testcontainers
// falls back to the default socket whatever DOCKER_HOST says, so that cannot be faked).
var connectDocker = dockerClient

// dockerClient connects to the engine testcontainers would use and checks it answers.
// Connection problems (and a panic inside the client's setup, which testcontainers' own
// health check also guards against) become ErrNoDocker.
func dockerClient(ctx context.Context) (cli *testcontainers.DockerClient, err error) {
	defer func() {
		if r := recover(); r != nil {
			cli, err = nil, fmt.Errorf("%w: %v", ErrNoDocker, r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	cli, err = testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	return cli, nil
}
