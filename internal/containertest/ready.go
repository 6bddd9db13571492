package containertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go/wait"
)

// ErrExited reports that the container stopped before it was ready (a bad flag, a port
// taken on the host network, a broken image). The error carries the exit code and the
// last lines of the container's output.
var ErrExited = errors.New("containertest: container exited before it was ready")

const (
	probeInterval = 100 * time.Millisecond
	probeTimeout  = 3 * time.Second // one Probe call
	logTailLines  = 20
	logTailWait   = 5 * time.Second
)

// readiness is the wait strategy of every container: ReadyLog seen anew (when set), then
// Probe answering (when set). It gives up as soon as the container has exited rather than
// waiting out the deadline, and puts the last log lines into its errors either way.
type readiness struct {
	name     string
	addr     string // 127.0.0.1:<first port>; empty without ports
	probe    ProbeFunc
	readyLog string
	// seen is how often readyLog occurs in the output from before the current start, so
	// that after a restart only a new occurrence counts.
	seen atomic.Int64
}

var _ wait.Strategy = (*readiness)(nil)

func (r *readiness) String() string {
	var parts []string
	if r.readyLog != "" {
		parts = append(parts, fmt.Sprintf("log line %q", r.readyLog))
	}
	if r.probe != nil {
		parts = append(parts, "probe on "+r.addr)
	}
	return r.name + " ready: " + strings.Join(parts, " and ")
}

func (r *readiness) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	for {
		lastErr := r.check(ctx, target)
		// The state is read after the check even when it passed: on the host network a
		// probe may have reached someone else's server on a port ours failed to bind.
		if state, err := target.State(ctx); err == nil && !state.Running && state.Status != container.StateCreated {
			if lastErr == nil {
				lastErr = errors.New("the probe passed, but not against this container")
			}
			return fmt.Errorf("%w: %s container is %s (exit code %d); last check: %v%s",
				ErrExited, r.name, state.Status, state.ExitCode, lastErr, logTail(ctx, target))
		}
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready (%s): %w; last check: %v%s", r.name, r, ctx.Err(), lastErr, logTail(ctx, target))
		case <-time.After(probeInterval):
		}
	}
}

func (r *readiness) check(ctx context.Context, target wait.StrategyTarget) error {
	if r.readyLog != "" {
		n, err := countInLogs(ctx, target, r.readyLog)
		if err != nil {
			return err
		}
		if n <= r.seen.Load() {
			return fmt.Errorf("%q not logged yet", r.readyLog)
		}
	}
	if r.probe == nil {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return r.probe(pctx, r.addr)
}

// logSource is what reading a container's output needs; wait.StrategyTarget and
// *testcontainers.DockerContainer both have it.
type logSource interface {
	Logs(ctx context.Context) (io.ReadCloser, error)
}

// readLogs returns the container's stdout and stderr, interleaved as written.
func readLogs(ctx context.Context, src logSource) (string, error) {
	rc, err := src.Logs(ctx)
	if err != nil {
		return "", fmt.Errorf("read container logs: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return string(b), fmt.Errorf("read container logs: %w", err)
	}
	return string(b), nil
}

func countInLogs(ctx context.Context, src logSource, s string) (int64, error) {
	logs, err := readLogs(ctx, src)
	if err != nil {
		return 0, err
	}
	return int64(strings.Count(logs, s)), nil
}

// logTail returns the last lines of the container's output, formatted to end an error
// message; "" when there are none. It has a time of its own: ctx may be what ran out.
func logTail(ctx context.Context, src logSource) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logTailWait)
	defer cancel()
	logs, err := readLogs(ctx, src)
	if err != nil && logs == "" {
		return fmt.Sprintf("; no container output (%v)", err)
	}
	lines := strings.Split(strings.TrimRight(logs, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return "; no container output"
	}
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return "; last container output:\n\t" + strings.Join(lines, "\n\t")
}
