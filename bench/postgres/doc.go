// Package pgbench benchmarks the PostgreSQL driver (drivers/postgres)
// against raw pgx running the driver's own statements and against
// alexedwards/scs's pgxstore: Get, Set, a rotation with one index pair and
// ReadMetadata of a subject with 10, 100 and 1,000 sessions, each with its
// round trips per operation counted on the connection.
//
// Everything lives in testing.B benchmarks on the harness of
// bench/internal/sqlbench; bench/run-sql.sh runs them interleaved against a
// PostgreSQL container and writes a report:
//
//	cd bench && ./run-sql.sh postgres
//
// The server is SESSIONSTORE_BENCH_POSTGRES (a connection string) when set,
// else one started with drivers/postgres/pgtest (Docker).
package pgbench
