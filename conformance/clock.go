package conformance

import (
	"sync"
	"time"
)

// fakeStart is where every fake clock starts: a whole second, so that
// expiries computed from it are exact.
var fakeStart = time.Unix(1700000000, 0)

// fakeClock is a clock that moves only when told to. It is safe for
// concurrent use: a driver may read it from its own goroutines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: fakeStart} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to tm; it never moves it back.
func (c *fakeClock) Set(tm time.Time) {
	c.mu.Lock()
	if tm.After(c.now) {
		c.now = tm
	}
	c.mu.Unlock()
}
