// Package mybench benchmarks the MySQL/MariaDB driver (drivers/mysql)
// against raw database/sql running the driver's own statements through
// go-sql-driver, and against alexedwards/scs's mysqlstore: Get, Set, a
// rotation with one index pair and ReadMetadata of a subject with 10, 100
// and 1,000 sessions, each with its round trips per operation counted on
// the connection.
//
// Everything lives in testing.B benchmarks on the harness of
// bench/internal/sqlbench; bench/run-sql.sh runs them interleaved against a
// MariaDB container and writes a report:
//
//	cd bench && ./run-sql.sh mysql
//
// The server is SESSIONSTORE_BENCH_MYSQL (a go-sql-driver DSN of a user
// that may create databases) when set, else one started with
// drivers/mysql/mysqltest (Docker).
package mybench
