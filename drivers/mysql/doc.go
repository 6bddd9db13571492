// Package mysql is a session.Storage driver for MySQL 8 and MariaDB
// (10.11 and later), built on github.com/go-sql-driver/mysql through
// database/sql. It can use tables of its own, which keep every rule of the
// storage contract, or share lua-resty-session's tables with OpenResty
// services.
//
// Use:
//
//	store, err := mysql.New(mysql.Config{
//		Host: "db.internal", Username: "app", Password: pw, Database: "web",
//		Table: "sessions", // in database web; the index table is sessions_meta
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
// or with a go-sql-driver DSN: mysql.Config{DSN: "app:pw@tcp(db:3306)/web?tls=true"}.
//
// # Servers
//
// The tests run against MariaDB 10.11. MySQL 8 is supported by
// construction: every statement the driver sends is in the syntax both
// document, checked against MySQL 8.0's reference manual (INSERT … ON
// DUPLICATE KEY UPDATE with VALUES(col), UPDATE and single-table DELETE
// with ORDER BY … LIMIT, DELETE with an EXISTS subquery on another table
// and a row-constructor IN list, LEAST, FROM_UNIXTIME, UNIX_TIMESTAMP, SET
// TRANSACTION ISOLATION LEVEL, START TRANSACTION, KILL QUERY, CREATE TABLE
// IF NOT EXISTS with inline indexes and foreign keys, the session
// variables sql_mode and innodb_lock_wait_timeout), but it is not run
// against MySQL here. MySQL deprecates VALUES() in ON DUPLICATE KEY UPDATE
// since 8.0.20 (a warning, still run in 8.4); lua-resty-session's own
// "AS new" row alias, its replacement, needs 8.0.19 and is not MariaDB
// syntax, and Lua's upsert does not refresh exp (a bug, not ported).
//
// # Tables
//
// Nothing is created implicitly: CreateSchema creates the tables (CREATE
// TABLE IF NOT EXISTS; MySQL's DDL commits statement by statement, and
// runs twice harmlessly), SchemaSQL prints the same DDL for a migration
// tool. Table names (Table, TableMeta) may name their database
// ("web.sessions"); they are split at the dot and each part is quoted in
// backticks, so any name names a table and nothing else. Every value is a
// statement parameter.
//
// OwnTables (the default) keeps every rule of the contract:
//
//	sessions      (name VARBINARY(255), sid VARBINARY(512), data MEDIUMBLOB, exp BIGINT, PRIMARY KEY (name, sid)), index on exp
//	sessions_meta (name VARBINARY(255), aud, sub, sid VARBINARY(512), PRIMARY KEY (name, aud, sub, sid),
//	               FOREIGN KEY (name, sid) REFERENCES sessions ON DELETE CASCADE), index on (name, sid)
//
// Names, keys and values are binary-safe and compared byte for byte; the
// same key under two cookie names is two sessions, and indexes are per
// name; exp is the expiry in Unix seconds (no time zone, no daylight
// saving, no year 2038).
//
// LuaTables uses lua-resty-session 4.x's tables (its README's DDL, section
// 9 of the contract), so a Go service and an OpenResty service see each
// other's sessions and indexes:
//
//	sessions      (sid CHAR(43) PRIMARY KEY, name VARCHAR(255), data MEDIUMTEXT, exp DATETIME, INDEX (exp)) CHARACTER SET ascii
//	sessions_meta (aud VARCHAR(255), sub VARCHAR(255), sid CHAR(43), PRIMARY KEY (aud, sub, sid),
//	               FOREIGN KEY (sid) REFERENCES sessions (sid) ON DELETE CASCADE) CHARACTER SET ascii
//
// What this mode gives up, because of those tables: rows are keyed by sid
// alone and the index has no cookie name, so the same key under two names
// is one session and one index serves every name (contract 2.9; Lua
// behaves so too); keys must fit CHAR(43) in ASCII, so a key longer than 43
// bytes or holding anything but printable ASCII (no spaces: CHAR drops
// trailing ones) is refused with an error matching
// session.ErrInvalidArgument, nothing written (lua-resty-session's keys
// are 43 characters of base64url); names must be ASCII and values ASCII
// text (lua-resty-session's values are JSON of base64url), refused the same
// way otherwise; audiences and subjects are bounded by VARCHAR(255)
// (MaxLuaPairLength bytes before base64url). The table's ascii character
// set has a case-insensitive default collation: tables made by Lua's own
// DDL hold one row for two keys that differ only in case, and compare
// audiences and subjects the same way. CreateSchema adds COLLATE ascii_bin
// (Lua's queries run on it unchanged); convert Lua-made tables with
//
//	ALTER TABLE sessions_meta CONVERT TO CHARACTER SET ascii COLLATE ascii_bin;
//	ALTER TABLE sessions CONVERT TO CHARACTER SET ascii COLLATE ascii_bin;
//
// (with FOREIGN_KEY_CHECKS=0 around them). exp is a DATETIME in the
// session's time zone: the driver writes it with FROM_UNIXTIME and reads
// it with UNIX_TIMESTAMP, exactly as Lua does, so Go and OpenResty agree
// whatever the server's time zone, as long as both use the same one (a
// DSN's time_zone must match Lua's connections). In a zone with daylight
// saving the hour repeated in autumn is ambiguous for both; run the server
// in UTC. FROM_UNIXTIME stops at 2038-01-19 on MariaDB before 11.5: later
// expiries are clamped to it. Lua's connections read replies of at most
// max_packet_size (1 MiB by default): keep values shared with Lua below
// that.
//
// In both modes aud and sub hold the audience and subject base64url-encoded
// (driver.Naming), as Lua's session layer stores them, and what a Set
// writes is checked against the columns before anything is sent
// (MaxNameLength, MaxKeyLength, MaxPairLength, MaxValueLength, or Lua's):
// too long is an error matching session.ErrTooLarge. The connections run
// in strict SQL mode besides, so that the server too refuses rather than
// truncates.
//
// Deliberate differences from lua-resty-session, in both modes: a rotation
// takes the old key out of the index at once (Lua leaves it listed for its
// grace period); a session is live while exp > now (Lua: >=); expired rows
// are swept in batches by a background goroutine (Lua deletes every
// expired row in the request, with probability 1/1000); the upsert
// refreshes exp; the name column of a LuaTables row keeps its first
// writer's name, as with Lua.
//
// # Statements, transactions, round trips
//
// Every operation is one query, so one round trip: Get, Delete and
// ReadMetadata one statement each, a Set one statement or up to four in
// one transaction (SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START
// TRANSACTION; …; COMMIT): the session's upsert; with a rotation, the old
// session's update to min(exp, end of grace period), or its deletion with
// Remember; the old key's removal from this Set's index pairs; the new
// key's index rows. Every change to a key's index rows follows a statement
// holding that key's session row lock, and each statement reads a fresh
// snapshot, so concurrent Sets, rotations and Deletes of one key, from any
// number of processes, never leave a readable session unlisted (contract
// 2.17). READ COMMITTED takes no gap locks; it needs binlog_format ROW or
// MIXED where the binary log is on (the default of both servers). When the
// server refuses a statement of the transaction, the driver rolls it back
// on the same connection before the connection is used again. Index rows
// go with their session by the foreign key's cascade (Delete, Remember, the
// sweeper): an expired session's index rows are never listed, and they stay
// in the table until the sweeper deletes the session, up to one
// SweepInterval after it expired. ReadMetadata joins the index to the
// sessions, so a key is listed with its session's own expiry exactly while
// the session is live. A transaction InnoDB rolled back as a deadlock
// victim, or a query never sent because the connection was dead, is run
// once more.
//
// One query per operation takes connection settings an application's
// *sql.DB does not have, so the Storage keeps a pool of its own (PoolSize
// connections): go-sql-driver's MultiStatements, and InterpolateParams,
// which writes each parameter into the query, escaped for the connection's
// character set (utf8mb4 by default; only sets in which escaping is safe
// are accepted) and the server's NO_BACKSLASH_ESCAPES, binary values as
// _binary literals. Statements are never built from values: they are
// constant text with ? placeholders, table names quoted. Server-side
// prepared statements would cost a round trip per statement, BEGIN and
// COMMIT included (six for a rotation, against lua-resty-session's one).
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
// 1000, oldest first), so no request waits behind a large DELETE. MySQL
// has no DELETE … SKIP LOCKED: sweepers of several processes take turns.
// Close stops it. SweepInterval < 0 switches it off; Sweep runs one round
// on demand.
//
// # Connections and errors
//
// The Lua timeouts become connection settings, which cost nothing per
// call: ConnectTimeout bounds making a connection, SendTimeout each write,
// ReadTimeout is the server's innodb_lock_wait_timeout (a row lock waited
// for longer fails the call with ErrTimeout) and, a second longer, each
// read. Waiting for a pooled connection is bounded by the caller's
// context. When a context ends during a write, go-sql-driver drops the
// connection and the driver has the server stop the statement (KILL QUERY
// from another connection, with the thread id the server announced when
// the connection was made), so that a write waiting on a lock does not go
// on, and commit, after its caller was told it failed (a read stops by
// itself once it finds its client gone); the call returns an error
// wrapping ctx.Err(). After a server restart the pool
// replaces its dead connections: the calls in flight fail, later ones
// work. A value that would not fit the server's max_allowed_packet once
// written into its query is refused before it is sent (session.ErrTooLarge
// with the limit): the server would drop the connection.
//
// Errors never contain a session key, value or subject: with parameters
// written into the query, some server messages quote them (a duplicate
// entry, a syntax error, an invalid string), so a server error's message
// is in its text only for the error numbers known to quote none; errors.As
// with *mysql.MySQLError (go-sql-driver's) gives the number, SQLSTATE and
// whole message to code that asks for them.
//
// Tests: drivers/mysql/mysqltest starts MariaDB in a container and hands
// out Storages in databases of their own.
package mysql
