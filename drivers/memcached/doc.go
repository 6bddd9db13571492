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
// one append per metadata pair. A Set with metadata adds one per pair, a
// rotation (OldKey) one more for the old key's touch or delete: with one
// pair and a warm index cache, set + touch + append = 3 (Lua needs 4 to 6).
// An index this Storage has not written before, or that holds more than
// 2 KiB of garbage, costs one more (gets, then append, add or a compacting
// cas). RoundTrips counts requests.
//
// # Index items
//
// An index item may start with a header entry: the deletion marker of a
// reserved 43-character pseudo-key beginning "~ssidx~" that records the
// exptime the driver gave the item. Lua's fixed-width parser reads it as the
// deletion of a key that was never live, a no-op.
//
// Writers never lower an index's exptime and never delete the item; a
// rewrite sets it to max(header, latest live expiry, new expiry + the new
// session's TTL), so an index never expires while it lists a live key and
// outlives its last key by at most one TTL. Because the exptime only grows,
// a writer that knows the item outlives a new entry may simply append it:
// a small per-Storage cache remembers each index's exptime and the garbage
// it holds, and one append carries a whole update ("NEW:EXP;OLD;" for a
// rotation, "KEY;" for a delete). Otherwise the driver reads the item with
// gets, appends if its header covers the entry and it holds little garbage,
// or else writes the compacted item with cas (a corrupt item is rewritten:
// the write repairs it); a lost cas falls back to an append when that is
// safe and is retried otherwise (16 attempts, jittered backoff). No update
// is lost, across goroutines, Storages and processes, and any writer that
// sees more than 2 KiB of garbage compacts the item.
//
// Exptimes are computed from the caller's now, as the entries' expiries
// are; callers' and servers' clocks are assumed to agree within seconds.
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
// over several servers.
//
// Contexts: gomemcache takes none, so the lane's connection carries the
// caller's: every round trip first checks ctx, waiting for a lane and
// dialing honour it, the request's send and read deadlines are capped by
// ctx's deadline, and cancelling ctx interrupts a request on the wire. The
// error then wraps ctx.Err().
//
// Errors never contain session keys or values: answers from the server are
// not quoted (see ErrServer).
package memcached
