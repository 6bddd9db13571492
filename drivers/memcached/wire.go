package memcached

import (
	"math"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// maxRelativeExpiry is the largest exptime memcached reads as relative
// seconds; anything larger is an absolute Unix time (30 days).
const maxRelativeExpiry = 30 * 24 * 60 * 60

// wireExpiry converts a TTL to memcached's exptime (contract 4.2): whole
// seconds rounded up, so that 500 ms is 1 s and never 0 ("forever"); a TTL
// above 30 days is sent as the absolute Unix time now+ttl, because memcached
// would read the relative number as a date in 1970 and drop the item at
// once. ok is false when the expiry does not fit memcached's 32-bit exptime
// (beyond January 2038) or ttl is not positive.
func wireExpiry(ttl time.Duration, now time.Time) (exptime int32, ok bool) {
	secs := session.CeilSeconds(ttl)
	if secs <= 0 {
		return 0, false
	}
	if secs <= maxRelativeExpiry {
		return int32(secs), true
	}
	return absExpiry(now.Unix() + secs)
}

// wireExpiryAt converts an absolute expiry (Unix seconds) to exptime as seen
// from now: relative when at most 30 days away, absolute beyond. An expiry
// that is not in the future becomes 1 s, the shortest life memcached knows.
func wireExpiryAt(expiry int64, now time.Time) (int32, bool) {
	rel := expiry - now.Unix()
	if rel <= 0 {
		return 1, true
	}
	if rel <= maxRelativeExpiry {
		return int32(rel), true
	}
	return absExpiry(expiry)
}

func absExpiry(unix int64) (int32, bool) {
	if unix > math.MaxInt32 {
		return 0, false
	}
	return int32(unix), true
}

// escapeKey appends key escaped as ngx.escape_uri escapes it (the escaping
// lua-resty-memcached applies to every key): each byte outside A-Z a-z 0-9
// - . _ ~ becomes %XX in upper-case hex. A Go and an OpenResty service
// therefore see the same items, and spaces or control bytes, which the
// memcached text protocol cannot carry, become storable.
func escapeKey(dst []byte, key []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range key {
		if unreserved(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&0xf])
	}
	return dst
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
