package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

// lua-resty-session 4.1.5's SQL (lib/resty/session/mysql.lua), verbatim:
// Lua splices every value into the text with string.format. The tests
// below splice only values that need no quoting (base64url keys, JSON
// text), as Lua's callers pass them.
const (
	luaSET           = "INSERT INTO %s (sid, name, data, exp) VALUES ('%s', '%s', '%s', FROM_UNIXTIME(%d)) AS new ON DUPLICATE KEY UPDATE data = new.data"
	luaSETMETAPREFIX = "INSERT INTO %s (aud, sub, sid) VALUES "
	luaSETMETAVALUES = "('%s', '%s', '%s')"
	luaSETMETASUFFIX = " ON DUPLICATE KEY UPDATE sid = sid"
	luaGETMETA       = "SELECT sid, exp FROM %s JOIN %s USING (sid) WHERE aud = '%s' AND sub = '%s' AND exp >= FROM_UNIXTIME(%d)"
	luaGET           = "SELECT data FROM %s WHERE sid = '%s' AND exp >= FROM_UNIXTIME(%d)"
	luaEXPIRE        = "UPDATE %s SET exp = FROM_UNIXTIME(%d) WHERE sid = '%s' AND exp > FROM_UNIXTIME(%d)"
	luaDELETE        = "DELETE FROM %s WHERE sid = '%s'"
	luaCLEANUP       = "DELETE FROM %s WHERE exp < FROM_UNIXTIME(%d)"
	stmDelim         = ";\n"

	// luaSETMariaDB is luaSET as it has to be written for MariaDB, which
	// has no "AS new" row alias: the same upsert, exp still not refreshed.
	luaSETMariaDB = "INSERT INTO %s (sid, name, data, exp) VALUES ('%s', '%s', '%s', FROM_UNIXTIME(%d)) ON DUPLICATE KEY UPDATE data = VALUES(data)"
)

// The README's DDL of lua-resty-session 4.1.5, verbatim but for the names.
const (
	luaDDLSessions = "CREATE TABLE IF NOT EXISTS %s (sid CHAR(43) PRIMARY KEY, name VARCHAR(255), data MEDIUMTEXT, exp DATETIME, INDEX (exp)) CHARACTER SET ascii"
	luaDDLMeta     = "CREATE TABLE IF NOT EXISTS %s (aud VARCHAR(255), sub VARCHAR(255), sid CHAR(43), PRIMARY KEY (aud, sub, sid), CONSTRAINT FOREIGN KEY (sid) REFERENCES %s(sid) ON DELETE CASCADE ON UPDATE CASCADE) CHARACTER SET ascii"
)

// lua plays an OpenResty node sharing the tables: it runs Lua's statements
// as resty.mysql does, one query per operation, in a connection of its own
// (charset ascii, Lua's default, and the time zone tz).
type lua struct {
	t           *testing.T
	db          *sql.DB
	table, meta string // as Lua's configuration names them: spliced raw
}

// luaNode opens a connection pool like resty.mysql's: multi statements,
// charset ascii, session time zone tz ("" for the server's).
func luaNode(t *testing.T, table, meta, tz string) lua {
	t.Helper()
	cfg, err := gomysql.ParseDSN(server(t))
	require.NoError(t, err)
	cfg.MultiStatements = true
	require.NoError(t, cfg.Apply(gomysql.Charset("ascii", "")))
	if tz != "" {
		cfg.Params = map[string]string{"time_zone": "'" + tz + "'"}
	}
	connector, err := gomysql.NewConnector(cfg)
	require.NoError(t, err)
	db := sql.OpenDB(connector)
	t.Cleanup(func() { _ = db.Close() })
	return lua{t: t, db: db, table: table, meta: meta}
}

func (l lua) exec(q string) {
	l.t.Helper()
	_, err := l.db.Exec(q)
	require.NoError(l.t, err, q)
}

// set is Lua's set(name, key, value, ttl, now, old_key, stale_ttl, metadata),
// with luaSETMariaDB for its upsert.
func (l lua) set(name, key, value string, ttl, now int64, oldKey string, staleTTL int64, auds, subs []string) {
	l.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, luaSETMariaDB, l.table, key, name, value, now+ttl)
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
	var data sql.NullString
	err := l.db.QueryRow(fmt.Sprintf(luaGET, l.table, key, now)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !data.Valid) {
		return "", false
	}
	require.NoError(l.t, err)
	return data.String, true
}

// readMetadata is Lua's read_metadata: sid → exp, as the DATETIME text
// resty.mysql hands Lua.
func (l lua) readMetadata(aud, sub string, now int64) map[string]string {
	l.t.Helper()
	rows, err := l.db.Query(fmt.Sprintf(luaGETMETA, l.meta, l.table, aud, sub, now))
	require.NoError(l.t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var sid, exp string
		require.NoError(l.t, rows.Scan(&sid, &exp))
		out[sid] = exp
	}
	require.NoError(l.t, rows.Err())
	return out
}

// datetime is Unix second sec as Lua's node reads it back, in time zone
// offset.
func datetime(sec int64, offset time.Duration) string {
	return time.Unix(sec, 0).In(time.FixedZone("", int(offset/time.Second))).Format(time.DateTime)
}

// enc is what lua-resty-session's session layer passes its storage for an
// audience or subject: base64url.
func enc(s string) string { return b64.EncodeToString([]byte(s)) }

// luaPair is a Storage in LuaTables mode and a Lua node on tables made by
// Lua's own DDL, both in the session time zone tz, with a clock both read.
func luaPair(t *testing.T, tz string) (*mysql.Storage, lua, func() time.Time) {
	t.Helper()
	now := time.Unix(time.Now().Unix(), 0)
	clock := func() time.Time { return now }
	db := freshDatabase(t)
	l := luaNode(t, db+".sessions", db+".sessions_meta", tz)
	l.exec(fmt.Sprintf(luaDDLSessions, l.table))
	l.exec(fmt.Sprintf(luaDDLMeta, l.meta, l.table))
	dsn := server(t)
	if tz != "" {
		dsn += "?time_zone=" + url.QueryEscape("'"+tz+"'")
	}
	store := newStorage(t, mysql.Config{DSN: dsn, Mode: mysql.LuaTables, Table: l.table, Clock: clock, SweepInterval: -1})
	return store, l, clock
}

// Rows that lua-resty-session writes are what the driver reads, in the
// server's time zone and in another one both share.
func TestLuaWritesDriverReads(t *testing.T) {
	for _, tz := range []struct {
		name   string
		zone   string
		offset time.Duration
	}{{"server time zone", "", 0}, {"UTC+05:30", "+05:30", 5*time.Hour + 30*time.Minute}} {
		t.Run(tz.name, func(t *testing.T) {
			store, l, clock := luaPair(t, tz.zone)
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

			// Lua's tables have no cookie name in their keys: a session Lua
			// wrote under "remember" is found under any name
			// (NamesShareKeys).
			l.set("remember", k2, `["r"]`, 60, now, "", 0, nil, nil)
			got, err = store.Get(ctx, "session", k2)
			require.NoError(t, err)
			assert.Equal(t, `["r"]`, string(got))

			// Lua's rotation: k1 → k3 with stale_ttl 10. Lua leaves k1 in
			// the index until its grace period ends; the driver reads what
			// is there.
			l.set("session", k3, `["c3"]`, 3600, now, k1, 10, []string{enc("default")}, []string{enc("john")})
			live, err = store.ReadMetadata(ctx, "session", "default", "john", clock())
			require.NoError(t, err)
			assert.Equal(t, map[string]time.Time{k1: time.Unix(now+10, 0), k3: time.Unix(now+3600, 0)}, live)
			live, err = store.ReadMetadata(ctx, "session", "default", "john", time.Unix(now+10, 0))
			require.NoError(t, err)
			assert.Equal(t, map[string]time.Time{k3: time.Unix(now+3600, 0)}, live, "k1's grace period over: exp > now, strictly")

			// Lua's delete: gone for the driver too, index rows by the
			// cascade.
			l.exec(fmt.Sprintf(luaDELETE, l.table, k3))
			_, err = store.Get(ctx, "session", k3)
			assert.ErrorIs(t, err, session.ErrNotFound)
			assert.Zero(t, countRows(t, l.meta, "sid = ?", k3))

			// A Lua row whose data is NULL is no session, for Lua and the
			// driver.
			l.exec(fmt.Sprintf("INSERT INTO %s (sid, exp) VALUES ('%s', FROM_UNIXTIME(%d))", l.table, k3, now+60))
			_, err = store.Get(ctx, "session", k3)
			assert.ErrorIs(t, err, session.ErrNotFound)

			// An expired Lua row is a miss, and the driver's sweep deletes
			// it with its index row.
			kOld := sessionKey()
			l.set("session", kOld, `["old"]`, 5, now-100, "", 0, []string{enc("default")}, []string{enc("john")})
			_, err = store.Get(ctx, "session", kOld)
			assert.ErrorIs(t, err, session.ErrNotFound)
			st, err := store.Sweep(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1), st.Rows)
			assert.Zero(t, countRows(t, l.meta, "sid = ?", kOld), "the cascade took its index row")
		})
	}
}

// Rows the driver writes are what lua-resty-session's queries read.
func TestDriverWritesLuaReads(t *testing.T) {
	for _, tz := range []struct {
		name   string
		zone   string
		offset time.Duration
	}{{"server time zone", "", 0}, {"UTC-08:00", "-08:00", -8 * time.Hour}} {
		t.Run(tz.name, func(t *testing.T) {
			store, l, clock := luaPair(t, tz.zone)
			ctx := context.Background()
			now := clock().Unix()
			md := []session.Pair{{Audience: "default", Subject: "john"}, {Audience: "admin", Subject: "john"}}
			k1, k2, k3 := sessionKey(), sessionKey(), sessionKey()

			require.NoError(t, store.Set(ctx, "session", k1, []byte(`["c1"]`), time.Hour, clock(), session.SetOptions{Metadata: md}))
			data, ok := l.get(k1, now)
			require.True(t, ok)
			assert.Equal(t, `["c1"]`, data)
			assert.Equal(t, map[string]string{k1: datetime(now+3600, tz.offset)}, l.readMetadata(enc("default"), enc("john"), now),
				"the DATETIME Lua reads is FROM_UNIXTIME of the expiry in the shared time zone")
			assert.Equal(t, map[string]string{k1: datetime(now+3600, tz.offset)}, l.readMetadata(enc("admin"), enc("john"), now))
			var name string
			require.NoError(t, admin.QueryRow(fmt.Sprintf("SELECT name FROM %s WHERE sid = ?", l.table), k1).Scan(&name))
			assert.Equal(t, "session", name, "the name column is filled as Lua fills it")

			// The driver's rotation: k1 → k2, grace 10 s. Lua still reads
			// k1 during the grace period; the index lists k2 only (the
			// driver takes k1 out at once, where Lua would leave it).
			require.NoError(t, store.Set(ctx, "session", k2, []byte(`["c2"]`), time.Hour, clock(),
				session.SetOptions{OldKey: k1, StaleTTL: 10 * time.Second, Metadata: md}))
			_, ok = l.get(k1, now+10)
			assert.True(t, ok, "k1 readable by Lua until its grace period ends (Lua's >=)")
			_, ok = l.get(k1, now+11)
			assert.False(t, ok)
			assert.Equal(t, map[string]string{k2: datetime(now+3600, tz.offset)}, l.readMetadata(enc("default"), enc("john"), now))

			// The driver's upsert refreshes exp, where Lua's leaves it.
			require.NoError(t, store.Set(ctx, "session", k2, []byte(`["c2b"]`), 2*time.Hour, clock(), session.SetOptions{}))
			assert.Equal(t, map[string]string{k2: datetime(now+7200, tz.offset)}, l.readMetadata(enc("default"), enc("john"), now))
			l.set("session", k2, `["c2c"]`, 60, now, "", 0, nil, nil)
			data, _ = l.get(k2, now+3600)
			assert.Equal(t, `["c2c"]`, data, "Lua's upsert replaced the data but left exp two hours away (its bug, not ported)")

			// Remember: the old session is deleted at once.
			require.NoError(t, store.Set(ctx, "session", k3, []byte(`["c3"]`), time.Hour, clock(),
				session.SetOptions{OldKey: k2, Remember: true, Metadata: md}))
			_, ok = l.get(k2, now)
			assert.False(t, ok)
			assert.Equal(t, map[string]string{k3: datetime(now+3600, tz.offset)}, l.readMetadata(enc("admin"), enc("john"), now))

			// Delete: Lua reads nothing, and the index rows are gone.
			require.NoError(t, store.Delete(ctx, "session", k3, clock(), md))
			_, ok = l.get(k3, now)
			assert.False(t, ok)
			assert.Empty(t, l.readMetadata(enc("default"), enc("john"), now))
			assert.Zero(t, countRows(t, l.meta, "true"))

			// hash_subject: the driver stores what Lua's session layer would.
			hashed := newStorage(t, mysql.Config{DSN: server(t), Mode: mysql.LuaTables, Table: l.table, HashSubject: true, Clock: clock})
			k4 := sessionKey()
			require.NoError(t, hashed.Set(ctx, "session", k4, []byte(`[]`), time.Minute, clock(), session.SetOptions{Metadata: md[:1]}))
			var sub string
			require.NoError(t, admin.QueryRow(fmt.Sprintf("SELECT sub FROM %s WHERE sid = ?", l.meta), k4).Scan(&sub))
			assert.Len(t, sub, 22, "base64url of 16 bytes of SHA-256")
			assert.NotEqual(t, enc("john"), sub)

			// Lua's probabilistic cleanup deletes what the driver wrote once
			// expired.
			k5 := sessionKey()
			require.NoError(t, store.Set(ctx, "session", k5, []byte(`[]`), time.Second, clock(), session.SetOptions{Metadata: md[:1]}))
			l.exec(fmt.Sprintf(luaCLEANUP, l.table, now+2))
			_, err := store.Get(ctx, "session", k5)
			assert.ErrorIs(t, err, session.ErrNotFound)
			assert.Zero(t, countRows(t, l.meta, "sid = ?", k5))
		})
	}
}

// Lua's own upsert is MySQL 8.0.19+ syntax: MariaDB refuses it, which is
// why the driver writes ON DUPLICATE KEY UPDATE … VALUES().
func TestLuaUpsertDoesNotRunOnMariaDB(t *testing.T) {
	_, l, clock := luaPair(t, "")
	_, err := l.db.Exec(fmt.Sprintf(luaSET, l.table, sessionKey(), "session", `["v"]`, clock().Unix()+60))
	var me *gomysql.MySQLError
	require.True(t, errors.As(err, &me), "%v", err)
	assert.Equal(t, uint16(1064), me.Number, "a syntax error: %v", err)
}

// Lua's own DDL makes ascii_general_ci columns: keys that differ only in
// case are one row there (as they are for Lua). CreateSchema's tables are
// ascii_bin, and keep them apart.
func TestLuaTablesCollation(t *testing.T) {
	ctx := context.Background()
	upper, lower := "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopq", ""
	upper = upper[:43]
	lower = strings.ToLower(upper)

	store := newStorage(t, mysql.Config{Mode: mysql.LuaTables})
	require.NoError(t, store.Set(ctx, "session", upper, []byte("U"), time.Hour, time.Now(), session.SetOptions{}))
	require.NoError(t, store.Set(ctx, "session", lower, []byte("l"), time.Hour, time.Now(), session.SetOptions{}))
	got, err := store.Get(ctx, "session", upper)
	require.NoError(t, err)
	assert.Equal(t, "U", string(got), "CreateSchema's ascii_bin keeps keys apart by case")

	luaMade, l, _ := luaPair(t, "")
	require.NoError(t, luaMade.Set(ctx, "session", upper, []byte("U"), time.Hour, time.Now(), session.SetOptions{}))
	require.NoError(t, luaMade.Set(ctx, "session", lower, []byte("l"), time.Hour, time.Now(), session.SetOptions{}))
	got, err = luaMade.Get(ctx, "session", upper)
	require.NoError(t, err)
	assert.Equal(t, "l", string(got), "Lua's DDL (ascii_general_ci): one row for both keys, as the docs warn")
	assert.Equal(t, 1, countRows(t, l.table, "true"))
}

// CreateSchema recognises tables made with lua-resty-session's own DDL:
// nothing is added or changed.
func TestCreateSchemaOnLuaTables(t *testing.T) {
	db := freshDatabase(t)
	l := luaNode(t, db+".sessions", db+".sessions_meta", "")
	l.exec(fmt.Sprintf(luaDDLSessions, l.table))
	l.exec(fmt.Sprintf(luaDDLMeta, l.meta, l.table))
	before := indexes(t, db)

	store := newStorage(t, mysql.Config{Mode: mysql.LuaTables, Table: l.table}) // runs CreateSchema
	require.NoError(t, store.CreateSchema(context.Background()), "a second run changes nothing either")
	assert.Equal(t, before, indexes(t, db))
	assert.Contains(t, before, "sessions.exp")
}

// indexes lists table.index names of a database.
func indexes(t *testing.T, db string) []string {
	t.Helper()
	rows, err := admin.Query("SELECT DISTINCT CONCAT(table_name, '.', index_name) FROM information_schema.statistics WHERE table_schema = ? ORDER BY 1", db)
	require.NoError(t, err)
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	return names
}
