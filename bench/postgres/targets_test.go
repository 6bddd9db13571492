package pgbench

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

var targets = []sqlbench.Target{
	{Name: "ours", Open: func(tb testing.TB) (sqlbench.KV, *atomic.Int64) { return openOurs(tb, postgres.OwnTables) }},
	{Name: "ours-lua", Open: func(tb testing.TB) (sqlbench.KV, *atomic.Int64) { return openOurs(tb, postgres.LuaTables) }},
	{Name: "pgx", Open: openRaw},
	{Name: "pgxstore", Open: openPgxstore},
}

// --- ours -----------------------------------------------------------------

func openOurs(tb testing.TB, mode postgres.Mode) (sqlbench.KV, *atomic.Int64) {
	name := srv.Namespace(tb)
	pool, trips := countedPool(tb, name)
	s, err := postgres.New(postgres.Config{Pool: pool, Mode: mode, Table: name + ".sessions", SweepInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	if err := s.CreateSchema(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return sqlbench.Ours{S: s}, trips
}

// --- raw pgx: the driver's statements, as an application would run them ---

type rawKV struct {
	pool                                  *pgxpool.Pool
	get, set, shorten, unindex, index, rd string
}

// openRaw creates the driver's own tables and runs the driver's statements
// (OwnTables, byte for byte) through pgxpool directly: the floor the
// driver's own cost is measured against.
func openRaw(tb testing.TB) (sqlbench.KV, *atomic.Int64) {
	name := srv.Namespace(tb)
	pool, trips := countedPool(tb, name)
	ddl, err := postgres.SchemaSQL(postgres.Config{Table: name + ".sessions"})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), ddl); err != nil {
		tb.Fatal(err)
	}
	s := pgx.Identifier{name, "sessions"}.Sanitize()
	m := pgx.Identifier{name, "sessions_meta"}.Sanitize()
	return &rawKV{
		pool: pool,
		get:  "SELECT data FROM " + s + " WHERE name = $1 AND sid = $2 AND exp > $3",
		set: "INSERT INTO " + s + " (name, sid, data, exp) VALUES ($1, $2, $3, $4)" +
			" ON CONFLICT (name, sid) DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp",
		shorten: "UPDATE " + s + " SET exp = LEAST(exp, $1) WHERE name = $2 AND sid = $3",
		unindex: "DELETE FROM " + m + " WHERE name = $1 AND sid = $2 AND (aud, sub) IN (SELECT p.a, p.s FROM unnest($3::text[], $4::text[]) AS p(a, s))" +
			" AND EXISTS (SELECT 1 FROM " + s + " WHERE name = $1 AND sid = $2 AND exp <= $5)",
		index: "INSERT INTO " + m + " (name, aud, sub, sid) SELECT $1, p.a, p.s, $2 FROM unnest($3::text[], $4::text[]) AS p(a, s) ON CONFLICT DO NOTHING",
		rd: "SELECT m.sid, s.exp FROM " + m + " AS m JOIN " + s + " AS s ON s.name = m.name AND s.sid = m.sid" +
			" WHERE m.name = $1 AND m.aud = $2 AND m.sub = $3 AND s.exp > $4",
	}, trips
}

func expiry() time.Time { return time.Unix(driver.ExpiryUnix(time.Now(), sqlbench.TTL), 0) }

func (r *rawKV) Set(ctx context.Context, key string, v []byte) error {
	_, err := r.pool.Exec(ctx, r.set, sqlbench.CookieName, key, v, expiry())
	return err
}

func (r *rawKV) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := r.pool.QueryRow(ctx, r.get, sqlbench.CookieName, key, time.Now()).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, sqlbench.ErrMiss
	}
	return v, err
}

func pairArrays(p session.Pair) ([]string, []string) {
	return []string{sqlbench.Encode(p.Audience)}, []string{sqlbench.Encode(p.Subject)}
}

func (r *rawKV) SetIndexed(ctx context.Context, key string, v []byte, p session.Pair) error {
	auds, subs := pairArrays(p)
	var b pgx.Batch
	b.Queue(r.set, sqlbench.CookieName, key, v, expiry())
	b.Queue(r.index, sqlbench.CookieName, key, auds, subs)
	return r.pool.SendBatch(ctx, &b).Close()
}

func (r *rawKV) Rotate(ctx context.Context, old, key string, v []byte, p session.Pair) error {
	auds, subs := pairArrays(p)
	stale := time.Unix(driver.ExpiryUnix(time.Now(), session.DefaultStaleTTL), 0)
	var b pgx.Batch
	b.Queue(r.set, sqlbench.CookieName, key, v, expiry())
	b.Queue(r.shorten, stale, sqlbench.CookieName, old)
	b.Queue(r.unindex, sqlbench.CookieName, old, auds, subs, stale)
	b.Queue(r.index, sqlbench.CookieName, key, auds, subs)
	return r.pool.SendBatch(ctx, &b).Close()
}

func (r *rawKV) ReadMetadata(ctx context.Context, p session.Pair) (map[string]time.Time, error) {
	rows, err := r.pool.Query(ctx, r.rd, sqlbench.CookieName, sqlbench.Encode(p.Audience), sqlbench.Encode(p.Subject), time.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	var (
		sid string
		exp time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&sid, &exp); err != nil {
			return nil, err
		}
		out[sid] = exp
	}
	return out, rows.Err()
}

// --- alexedwards/scs pgxstore ----------------------------------------------

// openPgxstore creates pgxstore's table (its README's DDL) in a schema of
// its own, reached through search_path; no cleanup goroutine.
func openPgxstore(tb testing.TB) (sqlbench.KV, *atomic.Int64) {
	name := srv.Namespace(tb)
	pool, trips := countedPool(tb, name)
	if _, err := pool.Exec(context.Background(), `CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
CREATE INDEX sessions_expiry_idx ON sessions (expiry)`); err != nil {
		tb.Fatal(fmt.Errorf("pgxstore schema: %w", err))
	}
	return sqlbench.SCS{S: pgxstore.NewWithCleanupInterval(pool, 0)}, trips
}
