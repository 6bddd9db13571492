package redistest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// nodeAttempts bounds the retries of a host-network node whose port was taken by someone
// else between choosing and binding it (the server then exits at once).
const nodeAttempts = 3

// nodeSpec builds the spec of a host-network node listening on port.
type nodeSpec func(port int) containertest.Spec

// startNode starts a host-network node on a free port, retrying on a fresh port when the
// server exits before it is ready (the port was taken meanwhile).
func startNode(ctx context.Context, build nodeSpec) (*Server, error) {
	var lastErr error
	for range nodeAttempts {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c, err := containertest.Run(ctx, build(port))
		if err == nil {
			srv := &Server{Host: containertest.Host}
			srv.attach(c)
			return srv, nil
		}
		lastErr = err
		if !errors.Is(err, containertest.ErrExited) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// startNodes starts one node per spec builder at once and returns them in order. On any
// error it terminates the ones that started.
func startNodes(ctx context.Context, builds []nodeSpec) ([]*Server, error) {
	nodes := make([]*Server, len(builds))
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		wg.Go(func() { nodes[i], errs[i] = startNode(ctx, b) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		terminateAll(nodes)
		return nil, firstUnavailable(errs, err)
	}
	return nodes, nil
}

// firstUnavailable returns an error for which Unavailable holds, if any of errs is one,
// so that callers skip rather than fail; else all.
func firstUnavailable(errs []error, all error) error {
	for _, err := range errs {
		if containertest.Unavailable(err) {
			return err
		}
	}
	return all
}

// terminateAll removes the nodes (nil ones skipped), on a fresh context.
func terminateAll(nodes []*Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		if n == nil || n.ctr == nil {
			continue
		}
		wg.Go(func() { errs[i] = n.Terminate(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// hostNodeSpec is a host-network redis-server (or redis-sentinel with sentinel set) on
// port, bound to 127.0.0.1 only.
func hostNodeSpec(port int, args []string, ready containertest.ProbeFunc, readyLog string, files ...containertest.File) containertest.Spec {
	return containertest.Spec{
		Name:        "redistest",
		Image:       image,
		HostNetwork: true,
		Ports:       []string{strconv.Itoa(port) + "/tcp"},
		Cmd:         args,
		Probe:       ready,
		ReadyLog:    readyLog,
		Files:       files,
	}
}

// addrOf is "127.0.0.1:port".
func addrOf(port int) string { return net.JoinHostPort(containertest.Host, strconv.Itoa(port)) }

// skipOrFail ends t for err from a Run function: a skip (or failure with
// SESSIONSTORE_REQUIRE_DOCKER=1) when containers cannot run here, else a failure.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if containertest.Unavailable(err) {
		containertest.SkipOrFail(t, containertest.Spec{Name: "redistest", Image: image}, err)
	}
	t.Fatalf("redistest: %v", err)
}
