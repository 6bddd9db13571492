package app_test

import (
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
)

// TestBrowserMemcached is the browser story on a real memcached in a
// container, on the real clock: short -rotate-every and grace period, and
// sleeps just past them (about 7 s in all). Without Chromium it skips (fails
// under SESSIONSTORE_REQUIRE_BROWSER=1) before starting a container; without
// Docker it skips (fails under SESSIONSTORE_REQUIRE_DOCKER=1).
func TestBrowserMemcached(t *testing.T) {
	chromium := chromiumOrSkip(t)
	store := memcachedtest.NewStorage(t, memcached.Config{Prefix: "sessiondemo-browser"})
	e, served := startRecordedApp(t, app.Config{
		Store: store,
		TTL:   time.Minute,
		// Longer than the browser steps between a rotation and the request
		// that follows it with the old cookie, so that one does not rotate
		// the id again.
		RotateEvery: 3 * time.Second,
		// memcached counts expiry in whole seconds on a clock that ticks
		// once a second: an item set for 1 s can be gone at the next tick,
		// a few milliseconds later, too soon for a browser's next request.
		// 3 s leaves it more than 2 s, and at most 3 s (the story sleeps
		// StaleTTL + 1.1 s before checking that it is gone).
		StaleTTL: 3 * time.Second,
	}, time.Sleep)
	runBrowserStory(t, chromium, e, served)
}
