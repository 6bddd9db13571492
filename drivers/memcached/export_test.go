package memcached

import (
	"time"

	"github.com/sessionstore/sessionstore/session/driver"
)

// Internals exported for the external tests of this package.

// WireExpiry is the exptime a Set sends for ttl at now.
func WireExpiry(ttl time.Duration, now time.Time) (int32, bool) {
	return exptime(driver.CeilSeconds(ttl), driver.ExpiryUnix(now, ttl))
}

// EscapeKey is escapeKey on a string.
func EscapeKey(key string) string { return string(escapeKey(nil, []byte(key))) }

// Ring returns a function that picks a server address for a wire key with
// the ketama selector built for servers.
func Ring(servers ...string) (func(key string) string, error) {
	cfg := Config{Servers: servers}
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	k := newKetama(set.servers)
	return func(key string) string {
		srv, err := k.pick(key)
		if err != nil {
			return ""
		}
		return srv.address
	}, nil
}

// HeaderLen is the length of the index header entry, ';' included.
const HeaderLen = headerLen + 1

// ItemOverhead is what memcached counts against its item size limit besides
// the key and the value.
const ItemOverhead = itemOverhead

// Header returns the index header entry for exptime e.
func Header(e int64) string { return string(appendHeader(nil, e)) }

// WireKey is the escaped session key the Storage uses for (name, key).
func (s *Storage) WireKey(name, key string) string {
	k, _ := wireKey(s.planner.Naming.AppendSessionItem(nil, name, key), "key")
	return k
}

// WireIndexKey is the escaped key of the index of (name, audience,
// subject), audience and subject given plain, as to ReadMetadata.
func (s *Storage) WireIndexKey(name, audience, subject string) string {
	k, _ := wireKey(s.planner.Naming.AppendIndexItem(nil, name, audience, subject), "subject")
	return k
}

// ForgetIndexCache empties the index cache, as in a fresh process.
func (s *Storage) ForgetIndexCache() { s.index.cache.reset() }
