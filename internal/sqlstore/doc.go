// Package sqlstore holds what the SQL drivers (drivers/postgres, and the
// MySQL/MariaDB driver that follows it point for point) share and what does
// not depend on the server's dialect:
//
//   - Mode: the two table layouts, the drivers' own (sessions keyed by
//     cookie name and key, every rule of the contract kept) and
//     lua-resty-session's (keyed by key alone, data in a TEXT column), with
//     what each gives up;
//   - Table and ParseTable: configurable, schema-qualified table names,
//     checked once and quoted by the dialect's hook, never spliced raw;
//   - Dialect, Builder and Stmt: statements written once against named
//     arguments (Arg) and rendered for a dialect's placeholders ($1 reused,
//     or one ? per occurrence), so that every value travels as a parameter;
//   - Layout: the statement shapes both servers accept (Get, ReadMetadata,
//     Delete, the session insert without its upsert clause, the rotation's
//     shortening of the old key and the condition under which it may leave
//     the index), which a driver runs as they are or combines with its
//     dialect's own (upsert clause, index rows of several pairs, sweep);
//   - CheckText, CheckTextString and CheckLen: what a TEXT column can hold,
//     and a bound on what goes into an index key;
//   - Sweeper: the loop that deletes expired rows in bounded batches off the
//     request path, stopped by Close;
//   - config helpers: defaults for durations and sizes, lua-resty-session's
//     ssl / ssl_verify / ssl_required mapped to a TLS policy.
//
// The order of a Set that keeps the revocation guarantee (contract 2.17)
// in one transaction is the PostgreSQL driver's setStmts: the session's
// upsert first (it takes the row lock), then the old key's shortening
// (which locks the old row even when it changes nothing) or deletion, then
// the old key's removal from the index guarded by WriteOldIsStale, then the
// new index rows, each statement with a fresh READ COMMITTED snapshot.
//
// It imports the standard library and the project's session packages only:
// the driver packages bring the database clients. It is internal: the
// drivers re-export what users need (Mode as OwnTables / LuaTables).
package sqlstore
