// Package redis is a session.Storage driver for Redis 7 or newer: one server, a master
// followed through Sentinel, or a Redis Cluster. It stores sessions and indexes exactly
// as lua-resty-session 4.x does, so that Go and OpenResty services can share one Redis
// and see each other's sessions and per-subject indexes.
//
// Use:
//
//	store, err := redis.New(redis.Config{
//		Prefix: "sessions",
//		Nodes:  []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, // a Cluster
//	})
//	if err != nil {
//		return err // an invalid Config; New does not connect
//	}
//	defer store.Close()
//	err = store.Set(ctx, "session", key, value, time.Hour, time.Now(), session.SetOptions{})
//
// or, with the go-redis client the application already has (New then does not close
// it unless CloseClient is set):
//
//	store, err := redis.New(redis.Config{Client: rdb, Prefix: "sessions"})
//
// # Compatibility with lua-resty-session
//
// A session is a string item [prefix:]name:key[:suffix] set with a TTL. An index is a
// sorted set per cookie name, audience and subject, [prefix:]name:A:S[:suffix] with A and
// S base64url-encoded (the subject hashed with HashSubject, as hash_subject does): member
// = session key, score = expiry in Unix seconds. Keys are not escaped (Redis keys are
// binary-safe). The driver reads what Lua writes and writes what Lua reads (the tests run
// Lua's commands against it, both ways, on every topology).
//
// Lua's bugs are not ported: Lua's EXPIRE idx ttl on every write lets a short session
// shorten the index of long ones and hide them; here an index lives until its greatest
// expiry (set in the same atomic step that changes it, counted from the caller's now like
// the sessions' TTLs), so it never ends before a live entry and never outlives its last
// one, and a write of this driver undoes what a Lua node shortened. Entries are live while
// their expiry is after now (Lua's read includes an entry ending at now). A rotated-away
// key's TTL is only ever shortened (PEXPIRE … LT, in the same step; Lua reads the TTL in
// a separate round trip first), a missing one is never created, and one without a TTL
// (which neither Lua nor this driver writes) is given the grace period, where Lua leaves
// it readable for good. Writes prune dead entries, so an index stays as small as its
// subject's live sessions. TTLs are sent in milliseconds, rounded up.
//
// # Atomicity and round trips
//
// On one server and behind Sentinel every operation is one round trip and atomic: Get,
// ReadMetadata and a plain Set or Delete are single commands, and a Set with a rotation or
// metadata, or a Delete with metadata, is a Lua script loaded once (EVALSHA, and EVAL the
// first time a server lacks it). lua-resty-session needs 2 for a rotation (a TTL read,
// then a pipeline that is not atomic).
//
// On a Cluster the session item and each index hash to different slots (the names are
// shared with Lua, so they carry no hash tag), and no script may span slots. The driver
// follows the order of contract rule 2.17, each step atomic on its slot: Set writes the
// session, then every index (one script per index, sent together in one pipeline), then
// shortens or deletes the old key; Delete takes the key out of every index, then deletes
// the session. A Set with one pair is 2 round trips, a rotation with metadata 3, a Delete
// with metadata 2. When a step fails the driver undoes, best effort and on a short
// context detached from the caller's, what would leave a session readable but unlisted
// (the session written by a Set whose index step failed is deleted again; an old key still
// alive is listed again), and returns the error. So RevokeAll never misses a readable
// session on any topology, except a rotated-away key during its grace period, as in Lua.
// Every step is idempotent: go-redis's retries, MOVED and ASK are safe.
//
// It never uses KEYS, SCAN over the keyspace or FLUSH*; it touches only the names above.
//
// # Configuration
//
// Config has a field for every lua-resty-session Redis option:
//
//	redis_prefix, redis_suffix                        Prefix, Suffix
//	redis_host, redis_port, redis_socket              Host, Port, Socket ("unix:/path" accepted)
//	redis_username, redis_password                    Username, Password (AUTH on every new connection)
//	redis_database                                    Database (one server and Sentinel)
//	redis_connect_timeout, _send_timeout, _read_timeout  ConnectTimeout, SendTimeout, ReadTimeout
//	redis_keepalive_timeout                           KeepaliveTimeout (idle time before a connection is dropped)
//	redis_pool, redis_pool_size, redis_backlog        Pool (Storages sharing a client), PoolSize, Backlog
//	redis_ssl, redis_ssl_verify, redis_server_name    SSL, SSLInsecureSkipVerify (verification is on by default), ServerName
//	redis_sentinels, redis_sentinel_master, redis_role  Sentinels, Master, Role ("master" or "replica")
//	redis_sentinel_username, _sentinel_password       SentinelUsername, SentinelPassword
//	redis_nodes                                       Nodes (a Cluster)
//	redis_max_redirections                            MaxRedirections
//	redis_max_connection_attempts                     MaxConnectionAttempts (every topology)
//	redis_max_connection_timeout                      MaxConnectionTimeout (every topology)
//	hash_subject (session option)                     HashSubject
//
// nginx-only, with no meaning here: lock_zone and lock_prefix (a shared dictionary that
// serialises lua-resty-redis-cluster's slot-map refreshes across nginx workers: go-redis
// keeps one slot map per client), the cluster's name (which names that dictionary's
// entries), and force_auth (go-redis authenticates every new connection). Go additions:
// RootCAs and Certificates (TLS), MaxRetries, MaxValueSize, Client and CloseClient.
//
// # Connections
//
// Built on github.com/redis/go-redis/v9; one go-redis client per Storage, or per named
// Pool. New never dials: connections are made on first use, each attempt within
// ConnectTimeout. PoolSize is go-redis's pool size (per node on a Cluster); the Storage
// admits at most PoolSize+Backlog calls at once and refuses one more at once with
// ErrPoolExhausted (go-redis bounds the connections but not the callers waiting for
// one). A ctx deadline bounds every call on the wire (go-redis with ContextTimeoutEnabled
// puts it on every read and write). A cancelled ctx ends a wait for a connection or a
// dial at once, but go-redis does not interrupt a read on cancellation: such a call
// returns within one network timeout (ReadTimeout) with an error wrapping ctx.Err(),
// unless PromptCancel is set, which runs each call with a cancellable ctx on a goroutine
// of its own and returns at once (the call ends in the background within its timeouts;
// it costs throughput, see BENCHMARKS.md).
//
// # Errors
//
// A miss is session.ErrNotFound. Outages are ErrUnavailable (a connection refused or
// broken, TLS verification failed, CLUSTERDOWN, MASTERDOWN, LOADING, READONLY, …), a
// full pool ErrPoolExhausted, a foreign item of the wrong type ErrWrongType (and, for an
// index, session.ErrCorruptIndex), other error replies ErrServer. Errors never contain
// session keys or values. An index item of the wrong type, or entries no writer makes (a
// member that is no key, an expiry past the year 9999), are reported by ReadMetadata
// beside the entries it can read, and the next write of the index replaces or prunes
// them (a member that is no key but has a plausible expiry stays until it expires).
//
// Test helpers for your own tests (a server, a Sentinel set-up or a Cluster in
// containers) are in the redistest package.
package redis
