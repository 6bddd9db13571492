// Package postgres is a session.Storage driver for PostgreSQL, built on
// github.com/jackc/pgx/v5 (pgxpool). It can use tables of its own, which
// keep every rule of the storage contract, or share lua-resty-session's
// tables with OpenResty services.
//
// Use:
//
//	store, err := postgres.New(postgres.Config{
//		Host: "db.internal", Username: "app", Password: pw, Database: "web",
//		Table: "auth.sessions", // schema-qualified; the index table is auth.sessions_meta
//	})
//	if err != nil {
//		return err // an invalid Config; New does not connect
//	}
//	defer store.Close()
//	if err := store.CreateSchema(ctx); err != nil { // once, at deployment or start-up
//		return err
//	}
//	err = store.Set(ctx, "session", key, value, time.Hour, time.Now(), session.SetOptions{})
//
// or with the application's pool: postgres.New(postgres.Config{Pool: pool})
// (Close leaves it open unless ClosePool), or a connection string:
// postgres.Config{ConnString: "postgres://app@db/web?sslmode=verify-full"}.
//
// # Tables
//
// Nothing is created implicitly: CreateSchema creates the tables (IF NOT
// EXISTS, under an advisory lock, in one transaction), SchemaSQL prints
// the same DDL for a migration tool. Table names (Table, TableMeta) may be
// schema-qualified ("app.sessions"); they are split at dots and each part
// is quoted with pgx.Identifier, so any name names a table and nothing
// else, and names are case-sensitive. Every value is a statement
// parameter.
//
// OwnTables (the default) keeps every rule of the contract:
//
//	sessions      (name TEXT, sid TEXT, data BYTEA, exp TIMESTAMPTZ, PRIMARY KEY (name, sid)), index on exp
//	sessions_meta (name, aud, sub, sid TEXT, PRIMARY KEY (name, aud, sub, sid),
//	               FOREIGN KEY (name, sid) REFERENCES sessions ON DELETE CASCADE), index on (name, sid)
//
// Values are binary-safe (BYTEA); the same key under two cookie names is
// two sessions, and indexes are per name.
//
// LuaTables uses lua-resty-session 4.x's tables exactly (its README's DDL,
// section 8 of the contract), so a Go service and an OpenResty service see
// each other's sessions and indexes:
//
//	sessions      (sid TEXT PRIMARY KEY, name TEXT, data TEXT, exp TIMESTAMPTZ), index on exp
//	sessions_meta (aud TEXT, sub TEXT, sid TEXT REFERENCES sessions ON DELETE CASCADE,
//	               PRIMARY KEY (aud, sub, sid))
//
// What this mode gives up, because of those tables: rows are keyed by sid
// alone and the index has no cookie name, so the same key under two names
// is one session and one index serves every name (contract 2.9; Lua
// behaves so too), and data is TEXT, so a value that is not valid UTF-8 or
// holds a NUL byte is refused with an error matching
// session.ErrInvalidArgument, nothing written (lua-resty-session's values
// are JSON text). In both modes aud and sub hold the audience and subject
// base64url-encoded (driver.Naming), as Lua's session layer stores them,
// and names and keys must be valid UTF-8 without NUL bytes (TEXT columns):
// others are refused the same way. What a Set writes into index keys is
// bounded (MaxNameLength, MaxKeyLength, MaxPairLength), so that no B-tree
// entry can outgrow what PostgreSQL accepts. Lua writes its expiries as
// TO_TIMESTAMP(n) AT TIME ZONE 'UTC' into a timestamptz column, which is
// right only while the server's TimeZone is UTC (the default of the
// official image); rows this driver writes are right under any TimeZone.
// Lua's schema has no index on sessions_meta (sid), so each deleted session
// scans sessions_meta for its cascade: add one on large tables.
//
// Deliberate differences from lua-resty-session, in both modes: a rotation
// takes the old key out of the index at once (Lua leaves it listed for its
// grace period); a session is live while exp > now (Lua: >=); expired rows
// are swept in batches by a background goroutine (Lua deletes every
// expired row in the request, with probability 1/1000); upserts refresh
// exp (as Lua's PostgreSQL upsert does); the name column of a LuaTables
// row keeps its first writer's name, as with Lua.
//
// # Statements, transactions, round trips
//
// Get, Delete and ReadMetadata are one statement each. A Set is one
// statement, or up to four sent as one pgx batch (one implicit transaction,
// one round trip): the session's upsert; with a rotation, the old session's
// update to min(exp, end of grace period), or its deletion with Remember;
// the old key's removal from this Set's index pairs; the new key's index
// rows. Every change to a key's index rows follows a statement holding
// that key's session row lock, and each statement reads a fresh snapshot,
// so concurrent Sets, rotations and Deletes of one key, from any number of
// processes, never leave a readable session unlisted (contract 2.17). Index
// rows go with their session by the foreign key's cascade (Delete, Remember,
// the sweeper): an expired session's index rows are never listed, and they
// stay in the table until the sweeper deletes the session, up to one
// SweepInterval after it expired (contract 2.12 wants an index gone within
// one TTL of its last key; here that holds up to the sweep interval). ReadMetadata joins the index to the sessions, so a key is
// listed with its session's own expiry exactly while the session is live.
// With pgx's default statement cache every operation is one round trip
// once its statements are prepared on a connection (lua-resty-session
// also sends one query per operation). A statement rolled back as a
// deadlock or serialization victim, or never sent because the connection
// was dead, is run once more.
//
// # Time
//
// Set, Delete and ReadMetadata decide by the now they are passed, as
// lua-resty-session decides by its own; Get and the sweeper by
// Config.Clock (time.Now by default). The server's clock is never used, so
// a test can drive every expiry with a fake clock (the conformance suite
// runs this way, without sleeping). Expiries are whole seconds, now+ttl
// rounded up (contract 2.18).
//
// # Sweeping
//
// A goroutine deletes expired sessions every SweepInterval (default one
// minute, ±10% jitter), in statements of at most SweepBatch rows (default
// 1000) that skip rows another sweeper holds (FOR UPDATE SKIP LOCKED), so
// no request waits behind a large DELETE and several processes can sweep
// the same tables. Close stops it. SweepInterval < 0 switches it off; Sweep
// runs one round on demand.
//
// # Connections and errors
//
// The Storage's own pool (or the application's) is pgxpool. On its own
// pool the Lua timeouts become connection settings, which cost nothing per
// call: ConnectTimeout bounds each connection's setup, ReadTimeout is the
// server's statement_timeout (a statement not done by then, lock waits
// included, is cancelled by the server: ErrTimeout) and the keepalive
// idle time, SendTimeout the socket's TCP_USER_TIMEOUT. Waiting for a
// pooled connection is bounded by the caller's context. When a context
// ends during a statement, the driver has the server cancel it (a
// statement waiting on a lock does not run on after its caller left) and
// returns an error wrapping ctx.Err().
// After a server restart the pool replaces its dead connections: the calls
// in flight fail, later ones work. Errors wrap pgx's (errors.As with
// *pgconn.PgError gives the SQLSTATE); they never contain a session key,
// value or subject, pgx and the server not quoting statement parameters.
//
// Tests: drivers/postgres/pgtest starts PostgreSQL in a container and hands
// out Storages in schemas of their own.
package postgres
