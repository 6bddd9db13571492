package memory

import (
	"time"
)

// DefaultSweepInterval is how often the background sweeper removes expired
// sessions and index entries when WithSweepInterval is not given.
const DefaultSweepInterval = time.Minute

// Option configures a Store.
type Option func(*config)

type config struct {
	now           func() time.Time // nil: the system clock
	maxEntries    int
	sweepInterval time.Duration
	hashMask      uint64 // zero: all bits; tests narrow it (see export_test.go)
}

// WithClock sets the clock that session expiry is measured against. The
// default is the system clock, read as the wall time at New plus the
// monotonic time elapsed since, so a step of the wall clock neither
// shortens nor lengthens a session. Tests inject a fake clock so that TTL cases need no sleeps. Index
// expiries are not taken from it: they come from the now passed to Set, as
// the Storage contract says. The sweeper calls the clock from its own
// goroutine, so it must be safe for concurrent use. A nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMaxEntries caps the number of session items the Store holds (index
// entries are not counted). When the cap is reached, a Set of a new key first
// sweeps expired sessions; if the Store is still full, Set fails with an
// error matching session.ErrFull. Live sessions are never evicted to make
// room: silently logging a user out is worse than a visible error. A
// rotation needs room for the new key before it removes the old one. Zero or
// less means no cap (the default).
func WithMaxEntries(n int) Option {
	return func(c *config) { c.maxEntries = max(n, 0) }
}

// WithSweepInterval sets how often a background goroutine removes expired
// sessions and index entries (default DefaultSweepInterval). Expiry never
// depends on the sweeper: reads check it themselves; the sweeper only frees
// memory. Zero or less disables the sweeper; expired sessions are then freed
// when read, overwritten, or when a capped Store is full.
func WithSweepInterval(d time.Duration) Option {
	return func(c *config) { c.sweepInterval = d }
}
