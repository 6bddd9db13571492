package app_test

import (
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
)

// TestLifecycleMemcached runs the same story on a real memcached in a
// container, on the real clock: short TTLs, and sleeps just past them. It
// skips without Docker unless SESSIONSTORE_REQUIRE_DOCKER=1.
func TestLifecycleMemcached(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps a few seconds on a real memcached")
	}
	store := memcachedtest.NewStorage(t, memcached.Config{Prefix: "sessiondemo-e2e"})
	e := startApp(t, app.Config{
		Store:       store,
		TTL:         time.Minute,
		RotateEvery: time.Second,
		StaleTTL:    3 * time.Second, // memcached counts whole seconds: a 1 s grace period can end within milliseconds
	}, time.Sleep, false)
	runLifecycle(t, e)
}
