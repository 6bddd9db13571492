// Package luaindex is lua-resty-session's own reading of an index item,
// kept as a reference for tests: what an OpenResty node sharing a store
// with a Go service would make of an item the Go code wrote.
package luaindex

import (
	"encoding/base64"
	"errors"
)

// Latest mirrors lua-resty-session's meta_get_latest (utils.lua, reference
// §1.3): it reads 43 bytes as the key and one delimiter byte; anything but
// ':' makes the entry a deletion marker; after ':' it decodes 7 characters of
// base64url as a 5-byte little-endian expiry and skips the next byte
// unchecked. The last entry for a key wins and an entry counts while its
// expiry is greater than now. It fails where Lua would run off the end of
// the item or fail to decode an expiry.
func Latest(item []byte, now int64) (map[string]int64, error) {
	const keyLen, expLen = 43, 7
	latest := map[string]int64{}
	for i := 0; i < len(item); {
		if i+keyLen+1 > len(item) {
			return nil, errors.New("luaindex: truncated key")
		}
		key := string(item[i : i+keyLen])
		delim := item[i+keyLen]
		i += keyLen + 1
		if delim != ':' {
			delete(latest, key)
			continue
		}
		if i+expLen > len(item) {
			return nil, errors.New("luaindex: truncated expiry")
		}
		raw, err := base64.RawURLEncoding.DecodeString(string(item[i : i+expLen]))
		if err != nil || len(raw) != 5 {
			return nil, errors.New("luaindex: bad expiry")
		}
		var exp int64
		for j := 4; j >= 0; j-- {
			exp = exp<<8 | int64(raw[j])
		}
		i += expLen + 1
		if exp > now {
			latest[key] = exp
		} else {
			delete(latest, key)
		}
	}
	return latest, nil
}
