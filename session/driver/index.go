package driver

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/sessionstore/sessionstore/session"
)

// The index codec: lua-resty-session's per-(audience, subject) index item,
// for drivers that keep indexes as strings (memcached, and any key-value
// store a third party writes a driver for). An index item is a sequence of
// entries:
//
//	key:EXP;   the session key is live until EXP
//	key;       deletion marker: the key left the index
//
// EXP is the expiry in Unix seconds as 5 bytes little-endian, base64url
// without padding, so always 7 characters: expiry 1700003600 is the bytes
// 10 ff 53 65 00 and is written EP9TZQA. Entries are appended; for a key,
// the last entry wins. An entry is live while EXP > now (strictly).
//
// lua-resty-session's parser is fixed-width (43-character keys). This parser
// reads entries by their delimiters instead, so it reads every item Lua
// writes and keys of any length without ':' or ';'. Items written here are
// read by Lua whenever keys are 43 characters long, as lua-resty-session's
// keys are.
//
// A damaged item (a torn or foreign write) hides no well-formed entry: the
// parser skips bytes it cannot read up to the next ';' and goes on, and
// reports the damage beside the entries it found. A writer that appends to
// an item it has not just read starts its append with a deletion marker of
// a key that never lives (a 43-character one keeps Lua's reading aligned),
// so that garbage before the append swallows that marker, never an entry.

// IndexExpiryLen is the length of an encoded expiry.
const IndexExpiryLen = 7

// MaxIndexExpiry is the largest expiry 5 bytes hold; larger expiries are
// written as MaxIndexExpiry.
const MaxIndexExpiry = 1<<40 - 1

// AppendIndexEntry appends the live entry "key:EXP;" to dst. An expiry of
// zero or less appends the deletion marker "key;", as lua-resty-session
// does. key must be non-empty and hold neither ':' nor ';' (IndexableKey;
// the Planner enforces it), or the entry is unreadable.
func AppendIndexEntry(dst []byte, key string, expiry int64) []byte {
	if expiry <= 0 {
		return AppendIndexTombstone(dst, key)
	}
	dst = append(dst, key...)
	dst = append(dst, ':')
	dst = AppendIndexExpiry(dst, expiry)
	return append(dst, ';')
}

// AppendIndexTombstone appends the deletion marker "key;" to dst.
func AppendIndexTombstone(dst []byte, key string) []byte {
	dst = append(dst, key...)
	return append(dst, ';')
}

// AppendIndexExpiry appends the 7-character encoding of expiry to dst.
// Expiries outside [0, MaxIndexExpiry] are clamped.
func AppendIndexExpiry(dst []byte, expiry int64) []byte {
	expiry = max(0, min(expiry, MaxIndexExpiry))
	var raw [5]byte
	for i := range raw {
		raw[i] = byte(expiry >> (8 * i))
	}
	return b64.AppendEncode(dst, raw[:])
}

// DecodeIndexExpiry decodes a 7-character expiry. An error matches
// session.ErrCorruptIndex.
func DecodeIndexExpiry(s []byte) (int64, error) {
	if len(s) != IndexExpiryLen {
		return 0, fmt.Errorf("%w: expiry of %d characters, want %d", session.ErrCorruptIndex, len(s), IndexExpiryLen)
	}
	var raw [5]byte
	n, err := b64.Decode(raw[:], s)
	if err != nil || n != len(raw) {
		return 0, fmt.Errorf("%w: expiry is not base64url", session.ErrCorruptIndex)
	}
	var exp int64
	for i := len(raw) - 1; i >= 0; i-- {
		exp = exp<<8 | int64(raw[i])
	}
	return exp, nil
}

// ScanIndex calls fn for each well-formed entry of item in order, with
// expiry 0 for a deletion marker; key aliases item and is valid only during
// the call. Bytes that are not an entry are skipped up to and including the
// next ';' and the scan goes on, so damage hides no entry after it. When
// anything was skipped, ScanIndex returns an error matching
// session.ErrCorruptIndex that says where, never quoting the item (it holds
// session keys). A nil fn only validates item.
func ScanIndex(item []byte, fn func(key []byte, expiry int64)) error {
	var firstBad, skipped int = -1, 0
	for off := 0; off < len(item); {
		key, exp, next, ok := nextEntry(item, off)
		if !ok {
			if firstBad < 0 {
				firstBad = off
			}
			skipped += next - off
		} else if fn != nil {
			fn(key, exp)
		}
		off = next
	}
	if firstBad >= 0 {
		return fmt.Errorf("%w: %d unreadable bytes from byte %d of %d", session.ErrCorruptIndex, skipped, firstBad, len(item))
	}
	return nil
}

// nextEntry reads the entry at off. When it is not well-formed, ok is false
// and next is just past the next ';' (or the end of item).
func nextEntry(item []byte, off int) (key []byte, exp int64, next int, ok bool) {
	end := off
	for end < len(item) && item[end] != ':' && item[end] != ';' {
		end++
	}
	skip := func() int {
		if i := bytes.IndexByte(item[off:], ';'); i >= 0 {
			return off + i + 1
		}
		return len(item)
	}
	if end == len(item) || end == off {
		return nil, 0, skip(), false
	}
	key = item[off:end]
	if item[end] == ';' {
		return key, 0, end + 1, true
	}
	expEnd := end + 1 + IndexExpiryLen
	if expEnd >= len(item) || item[expEnd] != ';' {
		return nil, 0, skip(), false
	}
	exp, err := DecodeIndexExpiry(item[end+1 : expEnd])
	if err != nil {
		return nil, 0, skip(), false
	}
	return key, exp, expEnd + 1, true
}

// LiveIndex returns the keys of item that are live at now (Unix seconds)
// with their expiries: for each key the last entry wins, and an entry counts
// while its expiry is greater than now. This is lua-resty-session's
// meta_get_latest, made to survive damage: the map is never nil and holds
// every well-formed live entry even when the error (matching
// session.ErrCorruptIndex) reports skipped bytes.
func LiveIndex(item []byte, now int64) (map[string]int64, error) {
	live := make(map[string]int64)
	err := ScanIndex(item, func(key []byte, exp int64) {
		// exp 0 is a deletion marker, dead even for a now before 1970.
		if exp > now && exp > 0 {
			live[string(key)] = exp
		} else {
			delete(live, string(key))
		}
	})
	return live, err
}

// AppendLiveIndex appends one live entry per key of live to dst, in key
// order so that the output is deterministic, and returns it with the largest
// expiry written (zero when live is empty).
func AppendLiveIndex(dst []byte, live map[string]int64) ([]byte, int64) {
	keys := make([]string, 0, len(live))
	for k := range live {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var maxExp int64
	for _, k := range keys {
		exp := live[k]
		dst = AppendIndexEntry(dst, k, exp)
		maxExp = max(maxExp, exp)
	}
	return dst, maxExp
}

// IndexEntryLen returns the length of the live entry of a key of keyLen
// bytes.
func IndexEntryLen(keyLen int) int { return keyLen + 1 + IndexExpiryLen + 1 }
