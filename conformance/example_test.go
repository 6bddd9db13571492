package conformance_test

import (
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

// A driver's package runs the whole suite from one test. This is the memory
// driver's: its clock is injectable, so the suite needs no sleeps.
func ExampleRun() {
	testConformance := func(t *testing.T) {
		conformance.Run(t, conformance.Harness{
			NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
				s := memory.New(memory.WithClock(now))
				t.Cleanup(func() { _ = s.Close() })
				return s
			},
			FakeClock: true,
		})
	}
	_ = testConformance // in a _test.go file: func TestConformance(t *testing.T) { … }
}
