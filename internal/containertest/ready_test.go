package containertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sessionstore/sessionstore/internal/containertest/fake"
)

// fakeTarget is a container as the readiness strategy sees it: output and state.
type fakeTarget struct {
	wait.StrategyTarget // methods the strategy must not use panic through the nil interface

	mu     sync.Mutex
	logs   string
	state  container.State
	logErr error
}

func (f *fakeTarget) Logs(context.Context) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.logErr != nil {
		return nil, f.logErr
	}
	return io.NopCloser(strings.NewReader(f.logs)), nil
}

func (f *fakeTarget) State(context.Context) (*container.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.state
	return &s, nil
}

func (f *fakeTarget) log(line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs += line + "\n"
}

func running() container.State { return container.State{Status: container.StateRunning, Running: true} }

func TestReadinessGivesUpWhenExited(t *testing.T) {
	target := &fakeTarget{state: container.State{Status: container.StateExited, ExitCode: 64}}
	for i := range 30 {
		target.log(fmt.Sprintf("line %d", i))
	}
	target.log("FATAL CONFIG FILE ERROR: Bad directive or wrong number of arguments")
	r := &readiness{name: "unittest", addr: fake.ClosedAddr(t), probe: DialProbe()}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start := time.Now()
	err := r.WaitUntilReady(ctx, target)
	require.ErrorIs(t, err, ErrExited)
	assert.Less(t, time.Since(start), 5*time.Second, "an exited container is reported at once, not after the deadline")
	msg := err.Error()
	assert.Contains(t, msg, "exit code 64")
	assert.Contains(t, msg, "Bad directive", "the last output is in the error")
	assert.Contains(t, msg, "line 29")
	assert.NotContains(t, msg, "line 5\n", "only the last lines")
	assert.Contains(t, msg, "connection refused", "and the last check's error")
}

func TestReadinessCreatedIsNotExited(t *testing.T) {
	// A container not started yet (state "created") is waited for, not given up on.
	target := &fakeTarget{state: container.State{Status: container.StateCreated}}
	r := &readiness{name: "unittest", readyLog: "Ready"}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := r.WaitUntilReady(ctx, target)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrExited)
	assert.Contains(t, err.Error(), `"Ready" not logged yet`)
	assert.Contains(t, err.Error(), "no container output")
}

func TestReadinessWaitsForProbe(t *testing.T) {
	target := &fakeTarget{state: running()}
	var mu sync.Mutex
	calls := 0
	r := &readiness{name: "unittest", addr: "127.0.0.1:1", probe: func(ctx context.Context, addr string) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		assert.Equal(t, "127.0.0.1:1", addr)
		_, hasDeadline := ctx.Deadline()
		assert.True(t, hasDeadline, "every probe call has a deadline")
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	}}
	require.NoError(t, r.WaitUntilReady(t.Context(), target))
	assert.Equal(t, 3, calls)
}

func TestReadinessTimeoutSaysWhy(t *testing.T) {
	target := &fakeTarget{state: running(), logs: "starting\nstill starting\n"}
	r := &readiness{name: "unittest", addr: "127.0.0.1:1", probe: func(context.Context, string) error { return errors.New("LOADING dataset") }}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := r.WaitUntilReady(ctx, target)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "LOADING dataset")
	assert.Contains(t, err.Error(), "still starting")
}

// TestReadinessReadyLogCountsNewOccurrences: after a restart the line from the previous
// run is already in the output; only a new one means ready.
func TestReadinessReadyLogCountsNewOccurrences(t *testing.T) {
	const line = "+monitor master mymaster 127.0.0.1 21001 quorum 2"
	target := &fakeTarget{state: running()}
	target.log("Sentinel ID is 1234")
	target.log(line)
	r := &readiness{name: "unittest", readyLog: "+monitor master"}
	require.NoError(t, r.WaitUntilReady(t.Context(), target), "first start: one occurrence is enough")

	r.seen.Store(1) // what Container.Start records before restarting
	done := make(chan error, 1)
	go func() { done <- r.WaitUntilReady(t.Context(), target) }()
	select {
	case err := <-done:
		t.Fatalf("ready on the old line: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	target.log(line)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("a new occurrence was not noticed")
	}
}

func TestReadinessLogErrorIsReported(t *testing.T) {
	target := &fakeTarget{state: container.State{Status: container.StateDead}, logErr: errors.New("no such container")}
	r := &readiness{name: "unittest", readyLog: "Ready"}
	err := r.WaitUntilReady(t.Context(), target)
	require.ErrorIs(t, err, ErrExited)
	assert.Contains(t, err.Error(), "no such container")
}

func TestReadinessString(t *testing.T) {
	r := &readiness{name: "unittest", addr: "127.0.0.1:5", probe: DialProbe(), readyLog: "Ready"}
	assert.Equal(t, `unittest ready: log line "Ready" and probe on 127.0.0.1:5`, r.String())
}

// TestReadinessProbePassingOnExitedContainer: a probe that passes while the container has
// exited reached another server (a port taken on the host network): not ready.
func TestReadinessProbePassingOnExitedContainer(t *testing.T) {
	target := &fakeTarget{state: container.State{Status: container.StateExited, ExitCode: 1}, logs: "Could not create server TCP listening socket 127.0.0.1:21001: bind: Address already in use\n"}
	r := &readiness{name: "unittest", addr: "127.0.0.1:21001", probe: func(context.Context, string) error { return nil }}
	err := r.WaitUntilReady(t.Context(), target)
	require.ErrorIs(t, err, ErrExited)
	assert.Contains(t, err.Error(), "Address already in use")
	assert.Contains(t, err.Error(), "not against this container")
}
