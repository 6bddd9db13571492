package scsstore_test

import (
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
)

// TestManagerMemcached runs the SessionManager cases on memcached in a
// container (skipped without Docker unless SESSIONSTORE_REQUIRE_DOCKER=1).
// One container serves every case; each case's tokens are fresh.
func TestManagerMemcached(t *testing.T) {
	st := memcachedtest.NewStorage(t, memcached.Config{
		Prefix: "scsstore",
		// Generous: the machine running the tests may be busy, and no case
		// here is about timeouts.
		ConnectTimeout: 5 * time.Second,
		SendTimeout:    5 * time.Second,
		ReadTimeout:    5 * time.Second,
	})
	testManager(t, func(*testing.T) backend {
		return backend{
			storage: st,
			// Real time: memcached expires items by its own clock, which
			// counts whole seconds, so an item may go up to a second early
			// or late; the margin covers that.
			lifetime: 4 * time.Second,
			margin:   2 * time.Second,
			pass:     func(_ *testing.T, d time.Duration) { time.Sleep(d) },
		}
	})
}
