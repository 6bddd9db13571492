package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// maxValue is the conformance runs' MaxValueSize, so that the suite's
// size-limit cases run too (without one, the server's 1 GB field limit
// applies).
const maxValue = 1 << 20

// TestConformance runs the whole suite against each table mode, with the
// suite's fake clock: every expiry decision the driver makes (Get's and the
// sweeper's by Config.Clock, the others by the now they are passed) follows
// it, so nothing sleeps. Each subtest gets tables of its own in a fresh
// database schema, on one pool shared by all (Config.Pool).
func TestConformance(t *testing.T) {
	server(t)
	var schemas sync.Map // *postgres.Storage → its database schema
	for _, tc := range []struct {
		name string
		mode postgres.Mode
		caps conformance.Capabilities
	}{
		{"OwnTables", postgres.OwnTables, conformance.Capabilities{MaxValueSize: maxValue}},
		{"LuaTables", postgres.LuaTables, conformance.Capabilities{MaxValueSize: maxValue, TextValues: true, NamesShareKeys: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conformance.Run(t, conformance.Harness{
				NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
					s, schema := newStorageSchema(t, postgres.Config{Pool: admin, Mode: tc.mode, Clock: now, MaxValueSize: maxValue})
					schemas.Store(s, schema)
					return s
				},
				FakeClock: true,
				Capabilities: withIndexSize(tc.caps, tc.mode, func(s session.Storage) string {
					schema, _ := schemas.Load(s)
					return schema.(string)
				}),
			})
		})
	}
}

// withIndexSize adds Capabilities.IndexSize: the bytes of the index rows of
// a pair (sid, aud and sub), measured after a sweep, since the sweeper is
// what removes the rows of expired sessions.
func withIndexSize(caps conformance.Capabilities, mode postgres.Mode, schemaOf func(session.Storage) string) conformance.Capabilities {
	caps.IndexSize = func(ctx context.Context, st session.Storage, name, audience, subject string) (int, error) {
		s := st.(*postgres.Storage)
		if _, err := s.Sweep(ctx); err != nil {
			return 0, err
		}
		n := driver.Naming{}
		sql := "SELECT coalesce(sum(octet_length(sid) + octet_length(aud) + octet_length(sub)), 0) FROM " +
			pgx.Identifier{schemaOf(st), "sessions_meta"}.Sanitize() + " WHERE aud = $1 AND sub = $2"
		args := []any{n.Audience(audience), n.Subject(subject)}
		if mode == postgres.OwnTables {
			sql += " AND name = $3"
			args = append(args, name)
		}
		var size int
		err := admin.QueryRow(ctx, sql, args...).Scan(&size)
		return size, err
	}
	return caps
}
