package mysql_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
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
	var dbs sync.Map // *mysql.Storage → its database
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
					s, db := newStorageDB(t, mysql.Config{Mode: tc.mode, Clock: now, MaxValueSize: maxValue, PoolSize: 8, SweepInterval: -1})
					dbs.Store(s, db)
					return s
				},
				FakeClock: true,
				Capabilities: withIndexSize(tc.caps, tc.mode, func(s session.Storage) string {
					db, _ := dbs.Load(s)
					return db.(string)
				}),
			})
		})
	}
}

// withIndexSize adds Capabilities.IndexSize: the bytes of the index rows of
// a pair (sid, aud and sub), measured after a sweep, since the sweeper is
// what removes the rows of expired sessions.
func withIndexSize(caps conformance.Capabilities, mode mysql.Mode, dbOf func(session.Storage) string) conformance.Capabilities {
	caps.IndexSize = func(ctx context.Context, st session.Storage, name, audience, subject string) (int, error) {
		s := st.(*mysql.Storage)
		if _, err := s.Sweep(ctx); err != nil {
			return 0, err
		}
		n := driver.Naming{}
		q := "SELECT coalesce(sum(length(sid) + length(aud) + length(sub)), 0) FROM " + dbOf(st) + ".sessions_meta WHERE aud = ? AND sub = ?"
		args := []any{n.Audience(audience), n.Subject(subject)}
		if mode == mysql.OwnTables {
			q += " AND name = ?"
			args = append(args, []byte(name))
		}
		var size int
		err := admin.QueryRowContext(ctx, q, args...).Scan(&size)
		return size, err
	}
	return caps
}
