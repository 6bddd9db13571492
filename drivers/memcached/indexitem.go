package memcached

import (
	"bytes"

	"github.com/sessionstore/sessionstore/session/driver"
)

// The bytes of an index item (the format and the algorithm are described
// once, in the package documentation, "Index items").

const (
	headerMagic = "~ssidx~"
	headerLen   = 43 // a lua-resty-session key's length
)

// appendHeader appends the header entry for exptime e: the deletion marker
// of a pseudo-key that no session key can be ('~' is not base64url) and
// that holds no ':' (so no garbage before it can make it a live entry).
// It leads every item this driver writes whole, and every append, where it
// is the sync marker that garbage left by a torn write swallows instead of
// the entry after it.
func appendHeader(dst []byte, e int64) []byte {
	dst = append(dst, headerMagic...)
	dst = driver.AppendIndexExpiry(dst, e)
	for range headerLen - len(headerMagic) - driver.IndexExpiryLen {
		dst = append(dst, '~')
	}
	return append(dst, ';')
}

// leadingHeader returns the exptime recorded by the header that starts
// item, or 0 when item does not start with a well-formed one (an item Lua
// wrote, or a damaged one).
func leadingHeader(item []byte) int64 {
	if len(item) < headerLen+1 || !bytes.HasPrefix(item, []byte(headerMagic)) || item[headerLen] != ';' {
		return 0
	}
	e, err := driver.DecodeIndexExpiry(item[len(headerMagic) : len(headerMagic)+driver.IndexExpiryLen])
	if err != nil {
		return 0
	}
	for _, c := range item[len(headerMagic)+driver.IndexExpiryLen : headerLen] {
		if c != '~' {
			return 0
		}
	}
	return e
}

// change is one update of an index: key (if set) becomes live until expiry,
// then old (if set) leaves the index.
type change struct {
	key    string
	expiry int64 // Unix seconds
	ttl    int64 // the session's TTL in seconds: how long the item outlives it
	old    string
}

// appendPayload appends what an append sends for c: the sync marker (the
// header with the exptime the writer knows of, 0 if none) and c's entries.
func (c change) appendPayload(dst []byte, known int64) []byte {
	dst = appendHeader(dst, known)
	if c.key != "" {
		dst = driver.AppendIndexEntry(dst, c.key, c.expiry)
	}
	if c.old != "" {
		dst = driver.AppendIndexTombstone(dst, c.old)
	}
	return dst
}

// applyTo applies c to the live entries of an item at now.
func (c change) applyTo(live map[string]int64, now int64) {
	if c.key != "" && c.expiry > now {
		live[c.key] = c.expiry
	}
	if c.old != "" {
		delete(live, c.old)
	}
}

// rewrite is an item rewritten compacted: a header with its new exptime,
// then one entry per live key.
type rewrite struct {
	value   []byte
	exptime int64 // Unix seconds
}

// compact returns the item holding live, for an item whose header recorded
// head, after c: it never lowers the exptime (others append relying on it),
// lives until its last live key, and for a new entry, one TTL longer, so
// that later appends of that session find it alive.
func compact(live map[string]int64, head, now int64, c change) rewrite {
	e := max(head, now+1)
	for _, exp := range live {
		e = max(e, exp)
	}
	if c.key != "" {
		e = max(e, c.expiry+c.ttl)
	}
	buf := make([]byte, 0, headerLen+1+len(live)*driver.IndexEntryLen(43))
	value, _ := driver.AppendLiveIndex(appendHeader(buf, e), live)
	return rewrite{value: value, exptime: e}
}
