package mybench

import (
	"sync/atomic"
	"testing"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
	"github.com/sessionstore/sessionstore/drivers/mysql"
)

// BenchmarkMySQL runs, against one MariaDB (or MySQL) server, each
// operation on every store that has it:
//
//	op=Get, op=Set                 ours, ours-lua, sql, mysqlstore (1 KiB values, 2,000 live sessions)
//	op=Rotate1Pair                 ours, ours-lua, sql             (Set with OldKey and one index pair)
//	op=ReadMetadata/sessions=N     ours, ours-lua, sql             (a subject with N = 10, 100, 1000 sessions)
//
// sql runs the driver's own statements through database/sql directly, so
// ours against sql is the driver's overhead. Besides time, each reports
// trips/op (round trips, counted on the connection) and cpu-ns/op (this
// process's CPU: the client's cost; the server is another process).
func BenchmarkMySQL(b *testing.B) {
	srv.Addr(b)
	sqlbench.Run(b, targets)
}

// BenchmarkMySQLPaired measures ours against a peer call by call (see
// sqlbench.Paired): raw database/sql running the driver's statements
// (every operation) and scs's mysqlstore (Get and Set).
func BenchmarkMySQLPaired(b *testing.B) {
	srv.Addr(b)
	sqlbench.RunPaired(b,
		func(tb testing.TB) (sqlbench.KV, *atomic.Int64) { return openOurs(tb, mysql.OwnTables) },
		[]sqlbench.Peer{{Name: "sql", Open: openRaw, Indexed: true}, {Name: "mysqlstore", Open: openMysqlstore}})
}
