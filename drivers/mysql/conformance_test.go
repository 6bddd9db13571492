package mysql_test

import (
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

// maxValue is the conformance runs' MaxValueSize, so that the suite's
// size-limit cases run too.
const maxValue = 1 << 20

// TestConformance runs the whole suite against each table mode, with the
// suite's fake clock: every expiry decision the driver makes (Get's and the
// sweeper's by Config.Clock, the others by the now they are passed) follows
// it, so nothing sleeps. Each subtest gets tables of its own in a fresh
// database.
func TestConformance(t *testing.T) {
	server(t)
	for _, tc := range []struct {
		name string
		mode mysql.Mode
		caps conformance.Capabilities
	}{
		{"OwnTables", mysql.OwnTables, conformance.Capabilities{MaxValueSize: maxValue}},
		{"LuaTables", mysql.LuaTables, conformance.Capabilities{MaxValueSize: maxValue, TextValues: true, NamesShareKeys: true, RestrictedKeys: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conformance.Run(t, conformance.Harness{
				NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
					return newStorage(t, mysql.Config{Mode: tc.mode, Clock: now, MaxValueSize: maxValue, PoolSize: 8, SweepInterval: -1})
				},
				FakeClock:    true,
				Capabilities: tc.caps,
			})
		})
	}
}
