package pgbench

import (
	"sync/atomic"
	"testing"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
	"github.com/sessionstore/sessionstore/drivers/postgres"
)

// BenchmarkPostgres runs, against one PostgreSQL server, each operation on
// every store that has it:
//
//	op=Get, op=Set                 ours, ours-lua, pgx, pgxstore (1 KiB values, 2,000 live sessions)
//	op=Rotate1Pair                 ours, ours-lua, pgx           (Set with OldKey and one index pair)
//	op=ReadMetadata/sessions=N     ours, ours-lua, pgx           (a subject with N = 10, 100, 1000 sessions)
//
// pgx runs the driver's own statements through pgxpool directly, so ours
// against pgx is the driver's overhead. Besides time, each reports
// trips/op (round trips, counted on the connection) and cpu-ns/op (this
// process's CPU: the client's cost; the server is another process).
func BenchmarkPostgres(b *testing.B) {
	srv.Addr(b)
	sqlbench.Run(b, targets)
}

// BenchmarkPostgresPaired measures ours against a peer call by call (see
// sqlbench.Paired): raw pgx running the driver's statements (every
// operation) and scs's pgxstore (Get and Set).
func BenchmarkPostgresPaired(b *testing.B) {
	srv.Addr(b)
	sqlbench.RunPaired(b,
		func(tb testing.TB) (sqlbench.KV, *atomic.Int64) { return openOurs(tb, postgres.OwnTables) },
		[]sqlbench.Peer{{Name: "pgx", Open: openRaw, Indexed: true}, {Name: "pgxstore", Open: openPgxstore}})
}
