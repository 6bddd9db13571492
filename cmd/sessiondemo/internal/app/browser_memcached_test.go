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
// sleeps just past them (about 4 s in all). Without Chromium it skips (fails
// under SESSIONSTORE_REQUIRE_BROWSER=1) before starting a container; without
// Docker it skips (fails under SESSIONSTORE_REQUIRE_DOCKER=1).
func TestBrowserMemcached(t *testing.T) {
	chromium := chromiumOrSkip(t)
	store := memcachedtest.NewStorage(t, memcached.Config{Prefix: "sessiondemo-browser"})
	e, served := startRecordedApp(t, app.Config{
		Store: store,
		TTL:   time.Minute,
		// Long enough for the steps between a rotation and the request
		// that follows it with the old cookie to run without another.
		RotateEvery: 2 * time.Second,
		StaleTTL:    time.Second, // memcached keeps whole seconds: gone within 2 s
	}, time.Sleep)
	runBrowserStory(t, chromium, e, served)
}
