package driver

import (
	"math"
	"time"
)

// ExpiryUnix returns the expiry a session stored at now for ttl is listed
// with (contract 2.18): now+ttl rounded up to the whole Unix second, a
// fraction of a second of now counted, so that an index never lists a
// session as ending before it does. A result beyond the int64 range is
// clamped.
func ExpiryUnix(now time.Time, ttl time.Duration) int64 {
	secs, frac := now.Unix(), int64(now.Nanosecond())
	whole, rem := int64(ttl/time.Second), int64(ttl%time.Second)
	rem += frac // -1 s < rem < 2 s: ceil(rem / 1 s) is 0, 1 or 2
	switch {
	case rem > int64(time.Second):
		whole += 2
	case rem > 0:
		whole++
	}
	if whole > 0 && secs > math.MaxInt64-whole {
		return math.MaxInt64
	}
	if whole < 0 && secs < math.MinInt64-whole {
		return math.MinInt64
	}
	return secs + whole
}

// CeilSeconds returns d in whole seconds, rounded up (500 ms is 1 s, never
// 0); zero or less for d ≤ 0. Backends that count TTLs in seconds
// (memcached, Redis EX) send this.
func CeilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d > 0 && d%time.Second != 0 {
		s++
	}
	return s
}
