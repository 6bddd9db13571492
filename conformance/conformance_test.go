package conformance_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/conformance"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// faultEnv selects the broken driver TestBrokenDriverChild runs.
const faultEnv = "SESSIONSTORE_CONFORMANCE_FAULT"

// TestReferenceDriver shows that a correct driver passes the suite with a
// fake clock.
func TestReferenceDriver(t *testing.T) {
	conformance.Run(t, harnessFor(nil, true))
}

// TestKVStore shows that a key-value store that writes its items in the
// order contract 2.17 prescribes and reads damaged indexes as contract 2.19
// says passes the suite, the damaged-index case included.
func TestKVStore(t *testing.T) {
	conformance.Run(t, kvHarness(kvFaults{}, true))
}

// TestReferenceDriverRealClock runs the suite with the real clock, sleeping,
// as it runs against a real server.
func TestReferenceDriverRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps for a few seconds")
	}
	t.Parallel()
	conformance.Run(t, harnessFor(nil, false))
}

// TestBrokenDriverChild runs the suite against the broken driver named by
// the environment. It is run by TestBrokenDrivers in a child process, so
// that the suite's failures do not fail this test binary.
func TestBrokenDriverChild(t *testing.T) {
	name, ok := os.LookupEnv(faultEnv)
	if !ok {
		t.Skip("run by TestBrokenDrivers in a child process")
	}
	if name == "none" {
		conformance.Run(t, harnessFor(nil, true))
		return
	}
	for _, f := range faults() {
		if f.name == name {
			conformance.Run(t, harnessFor(&f, true))
			return
		}
	}
	t.Fatalf("unknown fault %q", name)
}

var failLine = regexp.MustCompile(`--- FAIL: TestBrokenDriverChild/(\S+)`)

// runChild runs TestBrokenDriverChild with fault and returns whether it
// passed, the subtests that failed and the output.
func runChild(t *testing.T, fault string) (passed bool, failed []string, out string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenDriverChild$", "-test.v", "-test.count=1", "-test.timeout=2m")
	// GORACE: the race detector otherwise sleeps a second before exiting.
	cmd.Env = append(os.Environ(), faultEnv+"="+fault, "GORACE=atexit_sleep_ms=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if err != nil {
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr, "the child test process did not run")
	}
	for _, m := range failLine.FindAllStringSubmatch(buf.String(), -1) {
		failed = append(failed, m[1])
	}
	return err == nil, failed, buf.String()
}

// TestBrokenDrivers proves the suite: each broken driver injects one fault
// into a correct driver, and the suite must fail, naming the subtest that
// checks the broken rule.
func TestBrokenDrivers(t *testing.T) {
	// Children run a few at a time from goroutines: t.Parallel would cap
	// them at GOMAXPROCS although they mostly wait.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	goRun := func(name string, f func(t *testing.T)) {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(name, f)
		})
	}
	defer wg.Wait()
	goRun("none", func(t *testing.T) {
		passed, failed, out := runChild(t, "none")
		require.Truef(t, passed, "the correct driver fails in the child process: %v\n%s", failed, out)
	})
	for _, f := range faults() {
		goRun(f.name, func(t *testing.T) {
			passed, failed, out := runChild(t, f.name)
			require.False(t, passed, "the suite passed a driver that %s", f.name)
			assert.NotContains(t, out, "panic: ", "the child process crashed instead of failing a subtest")
			require.Containsf(t, failed, f.caughtBy, "the suite must catch %s in %s; failed subtests: %v", f.name, f.caughtBy, leaves(failed))
			if f.output != "" {
				assert.Contains(t, out, f.output)
			}
			t.Logf("%s caught by %s (also failed: %s)", f.name, f.caughtBy, strings.Join(leaves(failed), ", "))
		})
	}
}

// leaves drops the group entries of a list of failed subtests.
func leaves(failed []string) []string {
	var out []string
	for _, f := range failed {
		if !slices.ContainsFunc(failed, func(g string) bool { return strings.HasPrefix(g, f+"/") }) {
			out = append(out, f)
		}
	}
	return out
}
