// Package memcached is the reference session.Storage driver: sessions in
// memcached, stored exactly as lua-resty-session 4.x stores them, so that Go
// and OpenResty services can share one memcached and see each other's
// sessions and metadata indexes.
//
// Use:
//
//	store, err := memcached.New(memcached.Config{
//		Prefix:  "sessions",
//		Servers: []string{"10.0.0.1:11211", "10.0.0.2:11211"},
//	})
//	if err != nil {
//		return err // an invalid Config; New does not connect
//	}
//	defer store.Close()
//	err = store.Set(ctx, "session", key, value, time.Hour, time.Now(), session.SetOptions{})
//
// # Compatibility with lua-resty-session
//
// Keys are named [prefix:]name:key[:suffix] and escaped as ngx.escape_uri
// escapes them (every byte outside A-Z a-z 0-9 - . _ ~ as %XX), so
// "sessions:session:K" is stored as "sessions%3Asession%3AK"; a key longer
// than 250 bytes after escaping is rejected before anything is sent.
// Values are stored as given. Index items (per cookie name, audience and
// subject) hold Lua's "key:EXP;" and "key;" entries; see "Index items"
// below for the header this driver adds and how Lua reads it.
//
// Deliberate differences from Lua: deleting a missing key succeeds; a TTL is
// rounded up to whole seconds and one above 30 days is sent as an absolute
// time (Lua sends it relative and memcached drops the item at once); index
// items are compacted under compare-and-swap and always carry an expiry.
//
// # Round trips
//
// Get, a plain Set and ReadMetadata are one round trip. Delete is one plus
// one per metadata pair. A Set with metadata adds one per pair, a rotation
// (OldKey) one more for the old key's touch or delete: with one pair and a
// warm index cache, set + touch + append = 3 (Lua needs 4 to 6). An index
// this process has not written recently, or has appended 2 KiB to, costs
// one or two more round trips (gets, then cas or add), which also compacts
// it.
//
// # Index items
//
// See the comment on headerMagic in indexing.go for the full design: an
// optional header entry records the item's exptime, writers never lower it,
// appends are used when the process knows the item outlives the new entry,
// and a gets/cas rewrite with bounded retries otherwise. No concurrent update
// is lost, across goroutines and processes.
//
// # Connections
//
// Built on github.com/bradfitz/gomemcache, with what it lacks built around
// it: a connect timeout, TLS and unix sockets in the dialer; separate send
// and read timeouts and an idle limit (KeepaliveTimeout) in a wrapped
// connection; a per-server cap on connections (PoolSize) with a bounded queue
// of waiting callers (Backlog, ErrPoolExhausted beyond it); named pools
// shared between Storages; ketama consistent hashing over several servers.
//
// Contexts: every round trip first checks ctx, and waiting for a connection
// honours it, so no call runs past its deadline by more than one network
// timeout. gomemcache takes no context, so a request already on the wire is
// not interrupted by ctx; SendTimeout and ReadTimeout bound it.
//
// Errors never contain session keys or values: answers from the server are
// not quoted (see ErrServer).
package memcached
