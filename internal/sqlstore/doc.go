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
//     or one ? per occurrence; list elements one by one for a server
//     without arrays), so that every value travels as a parameter; time
//     arguments and columns through the dialect's hooks (MySQL's
//     lua-resty-session tables keep DATETIMEs: FROM_UNIXTIME(?) and
//     UNIX_TIMESTAMP(exp), as Lua writes and reads them);
//   - Layout: the statement shapes both servers accept (Get, ReadMetadata,
//     Delete, the session insert without its upsert clause, the rotation's
//     shortening of the old key and the condition under which it may leave
//     the index), and SetStmts, the order of a Set's statements that keeps
//     the revocation guarantee, filled with a SetDialect's parts (upsert
//     clause, index rows of several pairs);
//   - Columns and Charset: what each column of a layout holds (binary,
//     UTF-8 text, ASCII, a CHAR token) and how long, checked before
//     anything is sent; CheckText, CheckTextString and CheckLen, the pieces;
//   - Sweeper: the loop that deletes expired rows in bounded batches off the
//     request path, stopped by Close;
//   - config helpers: defaults for durations and sizes, lua-resty-session's
//     ssl / ssl_verify / ssl_required mapped to a TLS policy; Options, the
//     Config fields both drivers read alike (mode, tables, clock, value
//     limit, sweeper), checked into Settings and a Layout;
//   - Core: the half of a Storage that does not touch the server (the
//     closed flag, each operation's planning and column checks, the values
//     it binds through the driver's Binder, error wrapping, the sweeper),
//     and TimeoutError and Again for what the server gave up on or rolled
//     back.
//
// The order of a Set that keeps the revocation guarantee (contract 2.17)
// in one transaction is Layout.SetStmts: the session's upsert first (it
// takes the row lock), then the old key's shortening (which locks the old
// row even when it changes nothing) or deletion, then the old key's
// removal from the index guarded by WriteOldIsStale, then the new index
// rows, each statement with a fresh READ COMMITTED snapshot. Both drivers
// run exactly these statements.
//
// It imports the standard library and the project's session packages only:
// the driver packages bring the database clients. It is internal: the
// drivers re-export what users need (Mode as OwnTables / LuaTables).
package sqlstore
