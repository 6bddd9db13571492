package postgres_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
)

// lua-resty-session 4.1.5's SQL (lib/resty/session/postgres.lua), verbatim:
// Lua splices every value into the text with string.format. The tests
// below splice only values that need no quoting (base64url keys, JSON
// text), as Lua's callers pass them.
const (
	luaSET           = "INSERT INTO %s (sid, name, data, exp) VALUES ('%s', '%s', '%s', TO_TIMESTAMP(%d) AT TIME ZONE 'UTC') ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp"
	luaSETMETAPREFIX = "INSERT INTO %s (aud, sub, sid) VALUES "
	luaSETMETAVALUES = "('%s', '%s', '%s')"
	luaSETMETASUFFIX = " ON CONFLICT DO NOTHING"
	luaGETMETA       = "SELECT sid, exp FROM %s JOIN %s USING (sid) WHERE aud = '%s' AND sub = '%s' AND exp >= TO_TIMESTAMP(%d)"
	luaGET           = "SELECT data FROM %s WHERE sid = '%s' AND exp >= TO_TIMESTAMP(%d) AT TIME ZONE 'UTC'"
	luaEXPIRE        = "UPDATE %s SET exp = TO_TIMESTAMP(%d) AT TIME ZONE 'UTC' WHERE sid = '%s' AND exp > TO_TIMESTAMP(%d) AT TIME ZONE 'UTC'"
	luaDELETE        = "DELETE FROM %s WHERE sid = '%s'"
	luaCLEANUP       = "DELETE FROM %s WHERE exp < TO_TIMESTAMP(%d)"
	stmDelim         = ";\n"
)

// lua plays an OpenResty node sharing the tables: it runs Lua's statements
// as pgmoon does, one simple-protocol query per operation.
type lua struct {
	t           *testing.T
	table, meta string // as Lua's configuration names them: spliced raw
}

func (l lua) exec(sql string) {
	l.t.Helper()
	_, err := admin.Exec(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(l.t, err, sql)
}

// set is Lua's set(name, key, value, ttl, now, old_key, stale_ttl, metadata).
func (l lua) set(name, key, value string, ttl, now int64, oldKey string, staleTTL int64, auds, subs []string) {
	l.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, luaSET, l.table, key, name, value, now+ttl)
	if oldKey != "" {
		b.WriteString(stmDelim)
		fmt.Fprintf(&b, luaEXPIRE, l.table, now+staleTTL, oldKey, now+staleTTL)
	}
	if len(auds) > 0 {
		b.WriteString(stmDelim)
		fmt.Fprintf(&b, luaSETMETAPREFIX, l.meta)
		for i := range auds {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, luaSETMETAVALUES, auds[i], subs[i], key)
		}
		b.WriteString(luaSETMETASUFFIX)
	}
	l.exec(b.String())
}

// get is Lua's get: the data, or false for none.
func (l lua) get(key string, now int64) (string, bool) {
	l.t.Helper()
	var data string
	err := admin.QueryRow(context.Background(), fmt.Sprintf(luaGET, l.table, key, now), pgx.QueryExecModeSimpleProtocol).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false
	}
	require.NoError(l.t, err)
	return data, true
}

// readMetadata is Lua's read_metadata: sid → exp (Unix seconds).
func (l lua) readMetadata(aud, sub string, now int64) map[string]int64 {
	l.t.Helper()
	rows, err := admin.Query(context.Background(), fmt.Sprintf(luaGETMETA, l.meta, l.table, aud, sub, now), pgx.QueryExecModeSimpleProtocol)
	require.NoError(l.t, err)
	out := map[string]int64{}
	for rows.Next() {
		var sid string
		var exp time.Time
		require.NoError(l.t, rows.Scan(&sid, &exp))
		out[sid] = exp.Unix()
	}
	require.NoError(l.t, rows.Err())
	return out
}

// enc is what lua-resty-session's session layer passes its storage for an
// audience or subject: base64url.
func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// luaPair is a Storage in LuaTables mode and a Lua node on the same
// tables, with a clock both read.
func luaPair(t *testing.T) (*postgres.Storage, lua, func() time.Time) {
	t.Helper()
	var tz string
	require.NoError(t, admin.QueryRow(context.Background(), "SHOW TimeZone").Scan(&tz))
	// Lua writes TO_TIMESTAMP(n) AT TIME ZONE 'UTC' into a timestamptz
	// column: right only on a server whose TimeZone is UTC (the official
	// image's and the local one's default).
	require.Equal(t, "UTC", tz, "lua-resty-session's SQL needs a server in UTC")
	now := time.Unix(time.Now().Unix(), 0)
	clock := func() time.Time { return now }
	schema := freshSchema(t)
	store := newStorage(t, postgres.Config{Mode: postgres.LuaTables, Table: schema + ".sessions", Clock: clock, SweepInterval: -1})
	return store, lua{t: t, table: schema + ".sessions", meta: schema + ".sessions_meta"}, clock
}

// Rows that lua-resty-session writes are what the driver reads.
func TestLuaWritesDriverReads(t *testing.T) {
	store, l, clock := luaPair(t)
	ctx := context.Background()
	now := clock().Unix()
	k1, k2, k3 := sessionKey(), sessionKey(), sessionKey()
	v1 := `["ciphertext-1"]`

	l.set("session", k1, v1, 3600, now, "", 0, []string{enc("default")}, []string{enc("john")})
	got, err := store.Get(ctx, "session", k1)
	require.NoError(t, err)
	assert.Equal(t, v1, string(got))
	live, err := store.ReadMetadata(ctx, "session", "default", "john", clock())
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{k1: time.Unix(now+3600, 0)}, live, "Lua's index row, with the session's expiry")

	// Lua's tables have no cookie name in their keys: a session Lua wrote
	// under "remember" is found under any name (NamesShareKeys).
	l.set("remember", k2, `["r"]`, 60, now, "", 0, nil, nil)
	got, err = store.Get(ctx, "session", k2)
	require.NoError(t, err)
	assert.Equal(t, `["r"]`, string(got))

	// Lua's rotation: k1 → k3 with stale_ttl 10. Lua leaves k1 in the index
	// until its grace period ends; the driver reads what is there.
	l.set("session", k3, `["c3"]`, 3600, now, k1, 10, []string{enc("default")}, []string{enc("john")})
	live, err = store.ReadMetadata(ctx, "session", "default", "john", clock())
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{k1: time.Unix(now+10, 0), k3: time.Unix(now+3600, 0)}, live)
	live, err = store.ReadMetadata(ctx, "session", "default", "john", time.Unix(now+10, 0))
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{k3: time.Unix(now+3600, 0)}, live, "k1's grace period over: exp > now, strictly")

	// Lua's delete: gone for the driver too, index rows by the cascade.
	l.exec(fmt.Sprintf(luaDELETE, l.table, k3))
	_, err = store.Get(ctx, "session", k3)
	assert.ErrorIs(t, err, session.ErrNotFound)

	// A Lua row whose data is NULL is no session, for Lua and the driver.
	l.exec(fmt.Sprintf("INSERT INTO %s (sid, exp) VALUES ('%s', TO_TIMESTAMP(%d))", l.table, k3, now+60))
	_, err = store.Get(ctx, "session", k3)
	assert.ErrorIs(t, err, session.ErrNotFound)

	// An expired Lua row is a miss, and the driver's sweep deletes it.
	kOld := sessionKey()
	l.set("session", kOld, `["old"]`, 5, now-100, "", 0, []string{enc("default")}, []string{enc("john")})
	_, err = store.Get(ctx, "session", kOld)
	assert.ErrorIs(t, err, session.ErrNotFound)
	st, err := store.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Rows)
	assert.Zero(t, countRows(t, l.meta, "sid = $1", kOld), "the cascade took its index row")
}

// Rows the driver writes are what lua-resty-session's queries read.
func TestDriverWritesLuaReads(t *testing.T) {
	store, l, clock := luaPair(t)
	ctx := context.Background()
	now := clock().Unix()
	md := []session.Pair{{Audience: "default", Subject: "john"}, {Audience: "admin", Subject: "john"}}
	k1, k2, k3 := sessionKey(), sessionKey(), sessionKey()

	require.NoError(t, store.Set(ctx, "session", k1, []byte(`["c1"]`), time.Hour, clock(), session.SetOptions{Metadata: md}))
	data, ok := l.get(k1, now)
	require.True(t, ok)
	assert.Equal(t, `["c1"]`, data)
	assert.Equal(t, map[string]int64{k1: now + 3600}, l.readMetadata(enc("default"), enc("john"), now))
	assert.Equal(t, map[string]int64{k1: now + 3600}, l.readMetadata(enc("admin"), enc("john"), now))
	var name string
	require.NoError(t, admin.QueryRow(ctx, fmt.Sprintf("SELECT name FROM %s WHERE sid = $1", l.table), k1).Scan(&name))
	assert.Equal(t, "session", name, "the name column is filled as Lua fills it")

	// The driver's rotation: k1 → k2, grace 10 s. Lua still reads k1 during
	// the grace period; the index lists k2 only (the driver takes k1 out at
	// once, where Lua would leave it).
	require.NoError(t, store.Set(ctx, "session", k2, []byte(`["c2"]`), time.Hour, clock(),
		session.SetOptions{OldKey: k1, StaleTTL: 10 * time.Second, Metadata: md}))
	_, ok = l.get(k1, now+10)
	assert.True(t, ok, "k1 readable by Lua until its grace period ends (Lua's >=)")
	_, ok = l.get(k1, now+11)
	assert.False(t, ok)
	assert.Equal(t, map[string]int64{k2: now + 3600}, l.readMetadata(enc("default"), enc("john"), now))

	// Remember: the old session is deleted at once.
	require.NoError(t, store.Set(ctx, "session", k3, []byte(`["c3"]`), time.Hour, clock(),
		session.SetOptions{OldKey: k2, Remember: true, Metadata: md}))
	_, ok = l.get(k2, now)
	assert.False(t, ok)
	assert.Equal(t, map[string]int64{k3: now + 3600}, l.readMetadata(enc("admin"), enc("john"), now))

	// Delete: Lua reads nothing, and the index rows are gone.
	require.NoError(t, store.Delete(ctx, "session", k3, clock(), md))
	_, ok = l.get(k3, now)
	assert.False(t, ok)
	assert.Empty(t, l.readMetadata(enc("default"), enc("john"), now))
	assert.Zero(t, countRows(t, l.meta, "true"))

	// hash_subject: the driver stores what Lua's session layer would.
	hashed := newStorage(t, postgres.Config{Mode: postgres.LuaTables, Table: l.table, HashSubject: true, Clock: clock})
	k4 := sessionKey()
	require.NoError(t, hashed.Set(ctx, "session", k4, []byte(`[]`), time.Minute, clock(), session.SetOptions{Metadata: md[:1]}))
	var sub string
	require.NoError(t, admin.QueryRow(ctx, fmt.Sprintf("SELECT sub FROM %s WHERE sid = $1", l.meta), k4).Scan(&sub))
	assert.Len(t, sub, 22, "base64url of 16 bytes of SHA-256")
	assert.NotEqual(t, enc("john"), sub)

	// Lua's probabilistic cleanup deletes what the driver wrote once expired.
	k5 := sessionKey()
	require.NoError(t, store.Set(ctx, "session", k5, []byte(`[]`), time.Second, clock(), session.SetOptions{Metadata: md[:1]}))
	l.exec(fmt.Sprintf(luaCLEANUP, l.table, now+2))
	_, err := store.Get(ctx, "session", k5)
	assert.ErrorIs(t, err, session.ErrNotFound)
	assert.Zero(t, countRows(t, l.meta, "sid = $1", k5))
}

// CreateSchema recognises tables made with lua-resty-session's own DDL
// (its README's, verbatim): nothing is added, no second exp index.
func TestCreateSchemaOnLuaTables(t *testing.T) {
	schema := freshSchema(t)
	ctx := context.Background()
	l := lua{t: t, table: schema + ".sessions", meta: schema + ".sessions_meta"}
	l.exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (sid TEXT PRIMARY KEY, name TEXT, data TEXT, exp TIMESTAMP WITH TIME ZONE)", l.table))
	l.exec(fmt.Sprintf("CREATE INDEX ON %s (exp)", l.table))
	l.exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (aud TEXT, sub TEXT, sid TEXT REFERENCES %s (sid) ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY (aud, sub, sid))", l.meta, l.table))
	before := indexes(t, schema)

	store := newStorage(t, postgres.Config{Mode: postgres.LuaTables, Table: l.table}) // runs CreateSchema
	require.NoError(t, store.CreateSchema(ctx), "a second run changes nothing either")
	assert.Equal(t, before, indexes(t, schema))
	assert.Contains(t, before, "sessions_exp_idx")
}

// indexes lists the index names of a schema.
func indexes(t *testing.T, schema string) []string {
	t.Helper()
	rows, err := admin.Query(context.Background(), "SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname", schema)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return names
}

// countRows counts the rows of table (as Lua names it: spliced raw) that
// match where.
func countRows(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow(context.Background(), "SELECT count(*) FROM "+table+" WHERE "+where, args...).Scan(&n))
	return n
}
