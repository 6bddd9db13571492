package memcached

import (
	"math"
	"time"

	"github.com/sessionstore/sessionstore/session/driver"
)

// maxRelativeExpiry is the largest exptime memcached reads as relative
// seconds; anything larger is an absolute Unix time (30 days).
const maxRelativeExpiry = 30 * 24 * 60 * 60

// exptime converts a lifetime to memcached's exptime (contract 4.2): secs is
// the TTL already rounded up to whole seconds (so that 500 ms is 1 s and
// never 0, "forever") and expiry the plan's absolute end, now+TTL rounded
// up. A TTL of at most 30 days is sent relative; a longer one as the
// absolute expiry, because memcached would read the relative number as a
// date in 1970 and drop the item at once. ok is false when the expiry does
// not fit memcached's 32-bit exptime (beyond January 2038) or secs is not
// positive.
func exptime(secs, expiry int64) (int32, bool) {
	switch {
	case secs <= 0:
		return 0, false
	case secs <= maxRelativeExpiry:
		return int32(secs), true
	case expiry > math.MaxInt32:
		return 0, false
	}
	return int32(expiry), true
}

// exptimeAt converts an index item's expiry (Unix seconds) to exptime as
// seen from now: relative when at most 30 days away, absolute beyond. An
// expiry that is not in the future becomes 1 s, the shortest life memcached
// knows; one beyond memcached's range becomes its largest absolute time.
func exptimeAt(expiry int64, now time.Time) int32 {
	rel := expiry - now.Unix()
	switch {
	case rel <= 0:
		return 1
	case rel <= maxRelativeExpiry:
		return int32(rel)
	case expiry > math.MaxInt32:
		return math.MaxInt32
	}
	return int32(expiry)
}

// keyBuf is a stack buffer for building a key: a wire key is at most
// MaxKeyLength bytes, so in the common case neither the planner's name nor
// its escaped form leaves the stack and the key costs one allocation, the
// final string.
type keyBuf [MaxKeyLength + 6]byte

// wireKey escapes an item name for the wire and checks memcached's length
// limit; arg names the argument the name came from, for the error.
func wireKey(name []byte, arg string) (string, error) {
	var buf keyBuf
	k := escapeKey(buf[:0], name)
	if len(k) > MaxKeyLength {
		return "", driver.TooLarge(arg, MaxKeyLength)
	}
	return string(k), nil
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
