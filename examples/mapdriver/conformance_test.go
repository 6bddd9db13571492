package mapdriver_test

import (
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/examples/mapdriver"
	"github.com/sessionstore/sessionstore/session"
)

// TestConformance is the one call a driver needs: the whole storage contract.
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
			s := mapdriver.New(now) // a fresh map: isolated from every other subtest
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		FakeClock: true, // every TTL decision reads now, so the suite never sleeps
		// Capabilities: the zero value, the strict contract (no value limit,
		// the old key is never kept longer than it would have lived anyway).
		// IndexSize stays nil: this map frees an index's expired entries at
		// the next write to it, not on a timer, so the timed index-size case
		// would not hold and is skipped; drivers/memory and drivers/memcached
		// declare it.
	})
}
