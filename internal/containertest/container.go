package containertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// ErrTerminated reports a call on a container that Terminate already removed.
var ErrTerminated = errors.New("containertest: container terminated")

const (
	stopTimeout    = 10 * time.Second
	cleanupTimeout = 30 * time.Second
)

// Container is a running (or stopped) container started by Start or Run. Its ports are
// reachable on 127.0.0.1 only, at host ports fixed for its whole life: Stop and Start keep
// every address. Its methods are safe for concurrent use.
type Container struct {
	name        string
	image       string
	id          string
	hostNetwork bool
	ports       []network.Port       // as in Spec.Ports, parsed
	hostPorts   map[network.Port]int // container port → port of 127.0.0.1
	ready       *readiness

	// mu serialises Stop, Start and Terminate. Exec and Logs do not take it (a Start may
	// wait a minute for readiness); they load ctr, which Terminate sets to nil.
	mu  sync.Mutex
	ctr atomic.Pointer[testcontainers.DockerContainer]
}

// ID is the Docker container ID.
func (c *Container) ID() string { return c.id }

// Image is the image the container runs.
func (c *Container) Image() string { return c.image }

// Addr is "127.0.0.1:<port>" for the first of Spec.Ports; "" when there are none.
func (c *Container) Addr() string {
	if len(c.ports) == 0 {
		return ""
	}
	return net.JoinHostPort(Host, strconv.Itoa(c.hostPorts[c.ports[0]]))
}

// Port is the host port of the first of Spec.Ports (on 127.0.0.1); 0 when there are none.
func (c *Container) Port() int {
	if len(c.ports) == 0 {
		return 0
	}
	return c.hostPorts[c.ports[0]]
}

// HostPort returns the port of 127.0.0.1 that containerPort ("6379/tcp" or "6379", one of
// Spec.Ports) is reachable on. With HostNetwork it is the same number.
func (c *Container) HostPort(containerPort string) (int, error) {
	p, err := network.ParsePort(containerPort)
	if err != nil {
		return 0, fmt.Errorf("containertest: %s: port %q: %w", c.name, containerPort, err)
	}
	hp, ok := c.hostPorts[p]
	if !ok {
		return 0, fmt.Errorf("containertest: %s: port %s is not one of the container's ports", c.name, p)
	}
	return hp, nil
}

// HostNetwork reports whether the container runs in the host's network namespace.
func (c *Container) HostNetwork() bool { return c.hostNetwork }

// Stop stops the container (SIGTERM or the image's STOPSIGNAL, SIGKILL after 10 s) but keeps
// it, its files and its host ports, so Start can bring the same addresses back. Clients see
// connection errors meanwhile. Stopping a stopped container is a no-op.
func (c *Container) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctr := c.ctr.Load()
	if ctr == nil {
		return fmt.Errorf("%s: stop: %w", c.name, ErrTerminated)
	}
	timeout := stopTimeout
	if err := ctr.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("%s: stop: %w", c.name, err)
	}
	return nil
}

// Start starts a stopped container again, on the same host ports, and waits until it is
// ready as after the first start (Spec.ReadyLog must be logged anew). What the server keeps
// across a restart is the server's business: memcached starts empty, PostgreSQL and MariaDB
// keep their data, and a Redis replica may have written a dump during sync.
func (c *Container) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctr := c.ctr.Load()
	if ctr == nil {
		return fmt.Errorf("%s: start: %w", c.name, ErrTerminated)
	}
	if c.ready.readyLog != "" {
		n, err := countInLogs(ctx, ctr, c.ready.readyLog)
		if err != nil {
			return fmt.Errorf("%s: start: %w", c.name, err)
		}
		c.ready.seen.Store(n)
	}
	if err := ctr.Start(ctx); err != nil {
		return fmt.Errorf("%s: start: %w", c.name, err)
	}
	return nil
}

// Terminate stops and removes the container. Start's cleanup calls it; after Run the
// caller must. Terminating twice is a no-op; any other method then returns ErrTerminated.
func (c *Container) Terminate(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctr := c.ctr.Swap(nil)
	if ctr == nil {
		return nil
	}
	if err := ctr.Terminate(ctx); err != nil {
		return fmt.Errorf("%s: terminate: %w", c.name, err)
	}
	return nil
}

// ExecError reports a command run by Exec that exited with a non-zero status.
type ExecError struct {
	Cmd      []string
	ExitCode int
	Output   string // stdout and stderr, interleaved
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("containertest: %q exited with status %d: %s", strings.Join(e.Cmd, " "), e.ExitCode, strings.TrimSpace(e.Output))
}

// Exec runs cmd inside the running container (as the image's user) and returns its output,
// stdout and stderr interleaved. A non-zero exit status is an *ExecError (errors.As) that
// carries the output too. For example redis-cli --cluster create, or reading a Sentinel's
// rewritten config file.
func (c *Container) Exec(ctx context.Context, cmd ...string) (string, error) {
	ctr, err := c.current()
	if err != nil {
		return "", fmt.Errorf("%s: exec: %w", c.name, err)
	}
	if len(cmd) == 0 {
		return "", fmt.Errorf("%s: exec: no command", c.name)
	}
	code, r, err := ctr.Exec(ctx, cmd, tcexec.Multiplexed())
	if err != nil {
		return "", fmt.Errorf("%s: exec %q: %w", c.name, strings.Join(cmd, " "), err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return string(out), fmt.Errorf("%s: exec %q: read output: %w", c.name, strings.Join(cmd, " "), err)
	}
	if code != 0 {
		return string(out), &ExecError{Cmd: cmd, ExitCode: code, Output: string(out)}
	}
	return string(out), nil
}

// Logs returns everything the container wrote to stdout and stderr so far, across restarts.
func (c *Container) Logs(ctx context.Context) (string, error) {
	ctr, err := c.current()
	if err != nil {
		return "", fmt.Errorf("%s: logs: %w", c.name, err)
	}
	logs, err := readLogs(ctx, ctr)
	if err != nil {
		return logs, fmt.Errorf("%s: %w", c.name, err)
	}
	return logs, nil
}

func (c *Container) current() (*testcontainers.DockerContainer, error) {
	ctr := c.ctr.Load()
	if ctr == nil {
		return nil, ErrTerminated
	}
	return ctr, nil
}

// create starts the container for spec with the given host ports and waits until it is ready.
func create(ctx context.Context, logger tclog.Logger, spec Spec, image string, ports []network.Port, hostPorts map[network.Port]int) (*Container, error) {
	c := &Container{
		name:        spec.Name,
		image:       image,
		hostNetwork: spec.HostNetwork,
		ports:       ports,
		hostPorts:   hostPorts,
		ready:       &readiness{name: spec.Name, probe: spec.Probe, readyLog: spec.ReadyLog},
	}
	c.ready.addr = c.Addr()

	mounts := make([]mount.Mount, 0, len(spec.Mounts))
	for _, m := range spec.Mounts {
		src, err := filepath.Abs(m.HostPath)
		if err != nil {
			return nil, fmt.Errorf("%s: mount %s: %w", spec.Name, m.HostPath, err)
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: m.ContainerPath, ReadOnly: m.ReadOnly})
	}

	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(logger),
		testcontainers.WithLabels(spec.labels()),
		testcontainers.WithWaitStrategyAndDeadline(spec.readyTimeout(), c.ready),
	}
	if spec.HostNetwork {
		// No port is published. (testcontainers still adds bindings for the image's EXPOSE
		// ports; Docker discards published ports in host mode.)
		opts = append(opts, testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = container.NetworkMode(network.NetworkHost)
			hc.Mounts = append(hc.Mounts, mounts...)
		}))
	} else {
		exposed := make([]string, 0, len(ports))
		bindings := make(network.PortMap, len(ports))
		for _, p := range ports {
			exposed = append(exposed, p.String())
			bindings[p] = []network.PortBinding{{HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), HostPort: strconv.Itoa(hostPorts[p])}}
		}
		opts = append(opts,
			testcontainers.WithExposedPorts(exposed...),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
				hc.PortBindings = bindings
				hc.Mounts = append(hc.Mounts, mounts...)
			}))
	}
	if len(spec.Cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(spec.Cmd...))
	}
	if len(spec.Env) > 0 {
		opts = append(opts, testcontainers.WithEnv(spec.Env))
	}
	for _, f := range spec.Files {
		mode := f.Mode.Perm()
		if mode == 0 {
			mode = 0o644
		}
		cf := testcontainers.ContainerFile{HostFilePath: f.HostPath, ContainerFilePath: f.ContainerPath, FileMode: int64(mode)}
		if f.Content != nil {
			cf.Reader = bytes.NewReader(f.Content)
		}
		opts = append(opts, testcontainers.WithFiles(cf))
	}

	ctr, err := testcontainers.Run(ctx, image, opts...)
	if err != nil {
		// Run may return a created container together with the error: remove it.
		if ctr != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			_ = ctr.Terminate(cctx)
		}
		return nil, fmt.Errorf("start %s (%s): %w", image, c.describePorts(), err)
	}
	c.id = ctr.GetContainerID()
	c.ctr.Store(ctr)
	return c, nil
}

// describePorts says where the container's ports are, for error messages.
func (c *Container) describePorts() string {
	if c.hostNetwork {
		nums := make([]string, 0, len(c.ports))
		for _, p := range c.ports {
			nums = append(nums, strconv.Itoa(int(p.Num())))
		}
		return "host network, ports " + strings.Join(nums, ", ")
	}
	pairs := make([]string, 0, len(c.ports))
	for _, p := range c.ports {
		pairs = append(pairs, fmt.Sprintf("%s on %s:%d", p, Host, c.hostPorts[p]))
	}
	if len(pairs) == 0 {
		return "no ports"
	}
	return strings.Join(pairs, ", ")
}
