package mysql_test

import (
	"sync/atomic"
	"testing"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
	"github.com/sessionstore/sessionstore/internal/tripcount"
)

// Every operation is one round trip from the first call: a Set of several
// statements is one query (no statement is prepared on the server).
func TestRoundTrips(t *testing.T) {
	for _, mode := range sqlstoretest.Modes {
		t.Run(mode.String(), func(t *testing.T) {
			trips := new(atomic.Int64)
			store := newStorage(t, mysql.Config{
				Host: shared.Host, Port: shared.Port, Database: freshDatabase(t), Table: "sessions",
				Mode: mode, PoolSize: 1, SweepInterval: -1, DialContext: tripcount.Dial(trips),
			})
			sqlstoretest.RoundTrips(t, store, trips, false)
		})
	}
}
