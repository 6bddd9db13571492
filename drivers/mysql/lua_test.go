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
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
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
	table, meta string        // as Lua's configuration names them: spliced raw
	offset      time.Duration // of the session time zone from UTC (0: the server's, UTC)
}

// luaNode opens a connection pool like resty.mysql's: multi statements,
// charset ascii, session time zone tz ("" for the server's).
func luaNode(t *testing.T, table, meta string, tz sqlstoretest.LuaZone) lua {
	t.Helper()
	cfg, err := gomysql.ParseDSN(server(t))
	require.NoError(t, err)
	cfg.MultiStatements = true
	require.NoError(t, cfg.Apply(gomysql.Charset("ascii", "")))
	if tz.Zone != "" {
		cfg.Params = map[string]string{"time_zone": "'" + tz.Zone + "'"}
	}
	connector, err := gomysql.NewConnector(cfg)
	require.NoError(t, err)
	db := sql.OpenDB(connector)
	t.Cleanup(func() { _ = db.Close() })
	return lua{t: t, db: db, table: table, meta: meta, offset: tz.Offset}
}

func (l lua) Tables() (string, string) { return l.table, l.meta }

func (l lua) exec(q string) {
	l.t.Helper()
	_, err := l.db.Exec(q)
	require.NoError(l.t, err, q)
}

// luaSQL is Lua's set as mysql.lua writes it, with luaSETMariaDB for its
// upsert.
var luaSQL = sqlstoretest.LuaSQL{Set: luaSETMariaDB, Expire: luaEXPIRE, MetaPrefix: luaSETMETAPREFIX, MetaValues: luaSETMETAVALUES, MetaSuffix: luaSETMETASUFFIX}

func (l lua) Set(name, key, value string, ttl, now int64, oldKey string, staleTTL int64, auds, subs []string) {
	l.t.Helper()
	l.exec(luaSQL.SetQuery(l.table, l.meta, name, key, value, ttl, now, oldKey, staleTTL, auds, subs))
}

func (l lua) Get(key string, now int64) (string, bool) {
	l.t.Helper()
	var data sql.NullString
	err := l.db.QueryRow(fmt.Sprintf(luaGET, l.table, key, now)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !data.Valid) {
		return "", false
	}
	require.NoError(l.t, err)
	return data.String, true
}

// ReadMetadata gives each expiry as the DATETIME text resty.mysql hands
// Lua.
func (l lua) ReadMetadata(aud, sub string, now int64) map[string]string {
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

// Exp is Unix second sec as Lua's node reads it back: a DATETIME in the
// session's time zone.
func (l lua) Exp(sec int64) string {
	return time.Unix(sec, 0).In(time.FixedZone("", int(l.offset/time.Second))).Format(time.DateTime)
}

func (l lua) Delete(key string) { l.exec(fmt.Sprintf(luaDELETE, l.table, key)) }

func (l lua) InsertNoData(key string, exp int64) {
	l.exec(fmt.Sprintf("INSERT INTO %s (sid, exp) VALUES ('%s', FROM_UNIXTIME(%d))", l.table, key, exp))
}

func (l lua) Cleanup(now int64) { l.exec(fmt.Sprintf(luaCLEANUP, l.table, now)) }

// luaPair is a Storage in LuaTables mode and a Lua node on tables made by
// Lua's own DDL, both in the session time zone tz, with a clock both read.
func luaPair(t *testing.T, tz sqlstoretest.LuaZone) (*mysql.Storage, lua, func() time.Time) {
	t.Helper()
	now := time.Unix(time.Now().Unix(), 0)
	clock := func() time.Time { return now }
	db := freshDatabase(t)
	l := luaNode(t, db+".sessions", db+".sessions_meta", tz)
	l.exec(fmt.Sprintf(luaDDLSessions, l.table))
	l.exec(fmt.Sprintf(luaDDLMeta, l.meta, l.table))
	dsn := server(t)
	if tz.Zone != "" {
		dsn += "?time_zone=" + url.QueryEscape("'"+tz.Zone+"'")
	}
	store := newStorage(t, mysql.Config{DSN: dsn, Mode: mysql.LuaTables, Table: l.table, Clock: clock, SweepInterval: -1})
	return store, l, clock
}

// luaHarness runs the shared Lua tests in the server's time zone and two
// others that the Storage and the Lua node share: Lua's DATETIMEs are in
// the session's time zone, and both sides agree on every expiry.
var luaHarness = sqlstoretest.LuaHarness{
	Harness: harness,
	Zones: []sqlstoretest.LuaZone{
		{Name: "server time zone"},
		{Name: "UTC+05:30", Zone: "+05:30", Offset: 5*time.Hour + 30*time.Minute},
		{Name: "UTC-08:00", Zone: "-08:00", Offset: -8 * time.Hour},
	},
	Pair: func(t *testing.T, zone sqlstoretest.LuaZone) (sqlstoretest.Store, sqlstoretest.LuaNode, func() time.Time) {
		return luaPair(t, zone)
	},
	UpsertKeepsExp: true,
}

func TestLuaWritesDriverReads(t *testing.T) { sqlstoretest.LuaWritesDriverReads(t, luaHarness) }
func TestDriverWritesLuaReads(t *testing.T) { sqlstoretest.DriverWritesLuaReads(t, luaHarness) }

// Lua's own upsert is MySQL 8.0.19+ syntax: MariaDB refuses it, which is
// why the driver writes ON DUPLICATE KEY UPDATE … VALUES().
func TestLuaUpsertDoesNotRunOnMariaDB(t *testing.T) {
	_, l, clock := luaPair(t, sqlstoretest.LuaZone{})
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

	luaMade, l, _ := luaPair(t, sqlstoretest.LuaZone{})
	require.NoError(t, luaMade.Set(ctx, "session", upper, []byte("U"), time.Hour, time.Now(), session.SetOptions{}))
	require.NoError(t, luaMade.Set(ctx, "session", lower, []byte("l"), time.Hour, time.Now(), session.SetOptions{}))
	got, err = luaMade.Get(ctx, "session", upper)
	require.NoError(t, err)
	assert.Equal(t, "l", string(got), "Lua's DDL (ascii_general_ci): one row for both keys, as the docs warn")
	assert.Equal(t, 1, countRows(t, l.table, "true"))
}

// Lua's README's DDL, verbatim: its exp index is named exp.
func TestCreateSchemaOnLuaTables(t *testing.T) {
	sqlstoretest.CreateSchemaOnLuaTables(t, harness, func(t *testing.T, db string) string {
		l := luaNode(t, db+".sessions", db+".sessions_meta", sqlstoretest.LuaZone{})
		l.exec(fmt.Sprintf(luaDDLSessions, l.table))
		l.exec(fmt.Sprintf(luaDDLMeta, l.meta, l.table))
		return l.table
	}, indexes, "sessions.exp")
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
