// Package index is the codec of lua-resty-session's per-(audience, subject)
// index item, shared by every driver that keeps indexes as strings
// (memcached, and any key-value store a third party writes a driver for).
//
// An index item is a sequence of entries:
//
//	key:EXP;   the session key is live until EXP
//	key;       deletion marker: the key left the index
//
// EXP is the expiry in Unix seconds as 5 bytes little-endian, base64url
// without padding, so always 7 characters: expiry 1700003600 is the bytes
// 10 ff 53 65 00 and is written EP9TZQA. Entries are appended; for a key, the
// last entry wins. An entry is live while EXP > now (strictly).
//
// lua-resty-session's parser is fixed-width (43-character keys). This parser
// reads entries by their delimiters instead, so it reads every item Lua
// writes and keys of any length that contain neither ':' nor ';'. Items this
// package writes are read by Lua whenever keys are 43 characters long, as
// lua-resty-session's keys are.
package index

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
)

// ExpiryLen is the length of an encoded expiry.
const ExpiryLen = 7

// MaxExpiry is the largest expiry 5 bytes hold; larger expiries are written
// as MaxExpiry.
const MaxExpiry = 1<<40 - 1

// ErrCorrupt reports an index item that is not a sequence of entries.
var ErrCorrupt = errors.New("index: corrupt item")

var b64 = base64.RawURLEncoding

// AppendEntry appends the live entry "key:EXP;" to dst. An expiry of zero or
// less appends the deletion marker "key;", as lua-resty-session does. key
// must be non-empty and hold neither ':' nor ';' (session.IndexableKey;
// session.CheckSet and CheckDelete enforce it), or the item becomes corrupt.
func AppendEntry(dst []byte, key string, expiry int64) []byte {
	if expiry <= 0 {
		return AppendTombstone(dst, key)
	}
	dst = append(dst, key...)
	dst = append(dst, ':')
	dst = AppendExpiry(dst, expiry)
	return append(dst, ';')
}

// AppendTombstone appends the deletion marker "key;" to dst.
func AppendTombstone(dst []byte, key string) []byte {
	dst = append(dst, key...)
	return append(dst, ';')
}

// AppendExpiry appends the 7-character encoding of expiry to dst. Expiries
// outside [0, MaxExpiry] are clamped.
func AppendExpiry(dst []byte, expiry int64) []byte {
	expiry = max(0, min(expiry, MaxExpiry))
	var raw [5]byte
	for i := range raw {
		raw[i] = byte(expiry >> (8 * i))
	}
	return b64.AppendEncode(dst, raw[:])
}

// DecodeExpiry decodes a 7-character expiry.
func DecodeExpiry(s []byte) (int64, error) {
	if len(s) != ExpiryLen {
		return 0, fmt.Errorf("%w: expiry of %d characters, want %d", ErrCorrupt, len(s), ExpiryLen)
	}
	var raw [5]byte
	n, err := b64.Decode(raw[:], s)
	if err != nil || n != len(raw) {
		return 0, fmt.Errorf("%w: expiry is not base64url", ErrCorrupt)
	}
	var exp int64
	for i := len(raw) - 1; i >= 0; i-- {
		exp = exp<<8 | int64(raw[i])
	}
	return exp, nil
}

// Scan calls fn for each entry of item in order, with expiry 0 for a
// deletion marker. key aliases item and is valid only during the call. Scan
// stops at the first malformed entry and returns an error that matches
// ErrCorrupt; the error never quotes the item, which holds session keys. A
// nil fn only validates item.
func Scan(item []byte, fn func(key []byte, expiry int64)) error {
	if fn == nil {
		fn = func([]byte, int64) {}
	}
	for off := 0; off < len(item); {
		end := off
		for end < len(item) && item[end] != ':' && item[end] != ';' {
			end++
		}
		if end == len(item) {
			return fmt.Errorf("%w: entry at byte %d has no delimiter", ErrCorrupt, off)
		}
		if end == off {
			return fmt.Errorf("%w: entry at byte %d has an empty key", ErrCorrupt, off)
		}
		key := item[off:end]
		if item[end] == ';' {
			fn(key, 0)
			off = end + 1
			continue
		}
		expEnd := end + 1 + ExpiryLen
		if expEnd >= len(item) || item[expEnd] != ';' {
			return fmt.Errorf("%w: entry at byte %d is truncated", ErrCorrupt, off)
		}
		exp, err := DecodeExpiry(item[end+1 : expEnd])
		if err != nil {
			return fmt.Errorf("entry at byte %d: %w", off, err)
		}
		fn(key, exp)
		off = expEnd + 1
	}
	return nil
}

// Live returns the keys of item that are live at now (Unix seconds) with
// their expiries: for each key the last entry wins, and an entry counts while
// its expiry is greater than now. This is lua-resty-session's
// meta_get_latest.
func Live(item []byte, now int64) (map[string]int64, error) {
	live := make(map[string]int64)
	err := Scan(item, func(key []byte, exp int64) {
		// exp 0 is a deletion marker, dead even for a now before 1970.
		if exp > now && exp > 0 {
			live[string(key)] = exp
		} else {
			delete(live, string(key))
		}
	})
	if err != nil {
		return nil, err
	}
	return live, nil
}

// AppendLive appends one live entry per key of live to dst, in key order so
// that the output is deterministic, and returns it with the largest expiry
// written (zero when live is empty).
func AppendLive(dst []byte, live map[string]int64) ([]byte, int64) {
	keys := make([]string, 0, len(live))
	for k := range live {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var maxExp int64
	for _, k := range keys {
		exp := live[k]
		dst = AppendEntry(dst, k, exp)
		maxExp = max(maxExp, exp)
	}
	return dst, maxExp
}

// EntryLen returns the length of the live entry of a key of keyLen bytes.
func EntryLen(keyLen int) int { return keyLen + 1 + ExpiryLen + 1 }
