// Package memcached is a session.Storage driver that keeps sessions in
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
//	err = store.Set(ctx, "session", key, value, time.Hour, time.Now(), session.SetOptions{
//		Metadata: []session.Pair{{Audience: "default", Subject: "john"}},
//	})
//	live, err := store.ReadMetadata(ctx, "session", "default", "john", time.Now())
//
// # Compatibility with lua-resty-session
//
// Items are named as in lua-resty-session (package session/driver, Naming):
// a session [prefix:]name:key[:suffix], the index of an (audience, subject)
// pair [prefix:]name:A:S[:suffix] with A and S base64url-encoded, as
// lua-resty-session's session layer encodes them (audience "default" and
// subject "john" name the index session:ZGVmYXVsdA:am9obg), or with
// Config.HashSubject the subject's hash, as with Lua's hash_subject. Pass
// audience and subject plain: a Go service and an OpenResty service using
// the same ones share one index. Names and keys containing ':' are refused,
// so no key can name another key's item or an index.
//
// Every name is escaped as ngx.escape_uri escapes it (every byte outside
// A-Z a-z 0-9 - . _ ~ as %XX), so "sessions:session:K" is stored as
// "sessions%3Asession%3AK"; a name longer than 250 bytes after escaping is
// refused before anything is sent. Values are stored as given. Index items
// hold Lua's "key:EXP;" and "key;" entries, plus header entries that Lua
// reads as no-ops (see "Index items").
//
// Deliberate differences from Lua: deleting a missing key succeeds; a TTL is
// rounded up to whole seconds and one above 30 days is sent as an absolute
// time (Lua sends it relative and memcached drops the item at once); index
// items are compacted under compare-and-swap and always carry an expiry; a
// value over a server's item size is refused before it is sent.
//
// # The revocation guarantee
//
// Every session that Get can return is listed by ReadMetadata under each
// pair it was written with, whatever Sets, rotations and Deletes run
// concurrently, in this process or others, so session.RevokeAll ends it.
// memcached cannot write two items at once, so the driver writes in an
// order that keeps this true at every moment: a Set writes the session,
// then its index entries, then rotates the old key away; a Delete takes
// the key out of its indexes, then deletes the session.
//
// A write that fails or times out may still have been applied: the caller
// cannot tell a request lost on the way from an answer lost on the way
// back. The driver fails closed where that matters. A Set with metadata
// whose index update fails, or whose session write fails after it was sent,
// removes the session again (with a deadline of its own, one second, as
// the caller's context may be what ended) and returns the error. A Delete
// whose index update was refused before it was sent returns the error and
// leaves the session in place; one that failed after it was sent deletes
// the session too. An index may list a session that is already gone;
// revoking it is harmless.
//
// The one exception, as in Lua: a key rotated away stays readable for its
// grace period (SetOptions.StaleTTL) without being listed, so RevokeAll ends
// it at most StaleTTL later. The old key is touched to the grace period,
// which may also extend it: memcached's touch sets an expiry, it cannot
// only shorten one. If that touch (or, with Remember, the delete) fails,
// Set says so in its error, and the old key may stay readable, unlisted,
// until its own expiry.
//
// # Expiries
//
// The expiry an index lists is now+ttl rounded up to the whole second (a
// fraction of a second of now counted); the session item's exptime is the
// TTL rounded up, or beyond 30 days that same listed expiry, so that the
// item never outlives what its index lists by more than memcached's own
// one-second clock. Expiries are computed from the caller's now; callers'
// and servers' clocks are assumed to agree within seconds.
//
// # Item size
//
// memcached refuses an item over its -I limit (item_size_max), and then
// also drops the value it held under that key. The driver therefore learns
// each server's limit with "stats settings", once per server and pool
// (again after a server refuses an item as too large), and refuses a value
// that would not fit before sending it, with an error matching
// session.ErrTooLarge that names the largest value that fits under that
// key. A server that does not answer "stats settings" (a proxy, say) is
// bounded by Config.MaxValueSize only, which caps every server in any case.
// Items small enough for any server (1 KiB with the key) need no limit.
//
// # Round trips
//
// Get, a plain Set, a plain Delete and ReadMetadata are one round trip. A
// Set adds one append per metadata pair and, for a rotation, one touch (or
// delete with Remember) of the old key: a rotation with one pair is set,
// append, touch = 3 (lua-resty-session needs 4 to 6). A Delete with one
// pair is append, delete = 2. An index this Storage has not written yet, or
// that holds more than 2 KiB of garbage, costs one more (gets, then an
// append, add or compacting cas). The first value over 1 KiB sent to a
// server costs one "stats settings". RoundTrips counts requests.
//
// # Index items
//
// An index item starts with a header entry: the deletion marker of a
// reserved 43-character pseudo-key beginning "~ssidx~", carrying the
// exptime the driver gave the item, padded with '~'. '~' cannot start a
// base64url session key and the header holds no ':', so it never names a
// session, and Lua's fixed-width parser reads it as the deletion of a key
// that never lived, a no-op.
//
// Writers never lower an index's exptime and never delete the item (an
// index with nothing live is rewritten as a header and expires by itself).
// A rewrite gives it max(header, latest live expiry, new expiry + the new
// session's TTL): it never expires while it lists a live key and outlives
// its last key by at most one TTL. Because the exptime only grows, a writer
// that knows the item outlives a new entry may append it without reading:
// each Storage remembers, per index it wrote, the exptime and the garbage
// it appended since, and one append carries a whole update ("NEW:EXP;OLD;"
// for a rotation, "KEY;" for a delete). Otherwise the driver reads the
// item with gets and appends if its header covers the entry and it holds
// little garbage, or else writes it compacted with cas; a lost cas falls
// back to an append when that is safe and is retried otherwise (16
// attempts, jittered backoff). No update is lost, across goroutines,
// Storages and processes, and any writer that sees more than 2 KiB of
// garbage compacts the item.
//
// Damage: every append starts with a header entry as a sync marker, so
// that garbage left in the item by a torn or foreign write swallows that
// marker, never the entry after it. Reading skips what it cannot parse up
// to the next ';' and returns every well-formed entry, with an error
// matching session.ErrCorruptIndex; the read also makes its Storage forget
// the index, so that its next write reads the item and rewrites it
// compacted, keeping every well-formed live entry (the repair).
//
// Known gaps in a memcached shared with Lua nodes: Lua's probabilistic
// cleanup rewrites an index without the header and may shorten its exptime,
// and deletes an empty index unguarded (Lua alone has the same gaps);
// memcached may evict an index under memory pressure like any item.
//
// # Connections
//
// Built on github.com/bradfitz/gomemcache, with what it lacks built around
// it: a connect timeout, TLS and unix sockets in the dialer; separate send
// and read timeouts and an idle limit (KeepaliveTimeout) in a wrapped
// connection; per server, PoolSize lanes (each a gomemcache client holding
// at most one connection, used by one call at a time, most recently used
// first) with a bounded queue of waiting callers (Backlog, ErrPoolExhausted
// beyond it); named pools shared between Storages; ketama consistent hashing
// over several servers. Learning a server's item size opens one short-lived
// connection of its own.
//
// Contexts: gomemcache takes none, so the lane's connection carries the
// caller's: every round trip first checks ctx, waiting for a lane and
// dialing honour it, the request's send and read deadlines are capped by
// ctx's deadline, and cancelling ctx interrupts a request on the wire. The
// error then wraps ctx.Err(). Close waits for the calls in flight and
// closes every connection; no goroutine outlives it.
//
// Errors never contain session keys or values: answers from the server are
// not quoted (see ErrServer).
package memcached

// Code layout: calls run one way: the operations (storage.go, wirekeys.go) use the index
// logic (index.go, indexitem.go, indexcache.go), and both send requests
// through a small round-trip interface (trips.go), implemented on the pool
// (pool.go, itemsize.go) and its connections (conn.go).
