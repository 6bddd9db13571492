package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// lua-resty-session 4.1.5's SQL (lib/resty/session/postgres.lua), verbatim:
// Lua splices every value into the text with string.format. The tests
// splice only values that need no quoting (base64url keys, JSON text), as
// Lua's callers pass them.
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
)

// lua plays an OpenResty node sharing the tables (sqlstoretest.LuaNode):
// it runs Lua's statements as pgmoon does, one simple-protocol query per
// operation.
type lua struct {
	t           *testing.T
	table, meta string // as Lua's configuration names them: spliced raw
}

func (l lua) Tables() (string, string) { return l.table, l.meta }

func (l lua) exec(sql string) {
	l.t.Helper()
	_, err := admin.Exec(context.Background(), sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(l.t, err, sql)
}

// luaSQL is Lua's set as postgres.lua writes it.
var luaSQL = sqlstoretest.LuaSQL{Set: luaSET, Expire: luaEXPIRE, MetaPrefix: luaSETMETAPREFIX, MetaValues: luaSETMETAVALUES, MetaSuffix: luaSETMETASUFFIX}

func (l lua) Set(name, key, value string, ttl, now int64, oldKey string, staleTTL int64, auds, subs []string) {
	l.t.Helper()
	l.exec(luaSQL.SetQuery(l.table, l.meta, name, key, value, ttl, now, oldKey, staleTTL, auds, subs))
}

func (l lua) Get(key string, now int64) (string, bool) {
	l.t.Helper()
	var data string
	err := admin.QueryRow(context.Background(), fmt.Sprintf(luaGET, l.table, key, now), pgx.QueryExecModeSimpleProtocol).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false
	}
	require.NoError(l.t, err)
	return data, true
}

// ReadMetadata gives each expiry as pgmoon hands it over, a timestamp,
// here in Unix seconds (Exp).
func (l lua) ReadMetadata(aud, sub string, now int64) map[string]string {
	l.t.Helper()
	rows, err := admin.Query(context.Background(), fmt.Sprintf(luaGETMETA, l.meta, l.table, aud, sub, now), pgx.QueryExecModeSimpleProtocol)
	require.NoError(l.t, err)
	out := map[string]string{}
	for rows.Next() {
		var sid string
		var exp time.Time
		require.NoError(l.t, rows.Scan(&sid, &exp))
		out[sid] = l.Exp(exp.Unix())
	}
	require.NoError(l.t, rows.Err())
	return out
}

func (l lua) Exp(sec int64) string { return strconv.FormatInt(sec, 10) }

func (l lua) Delete(key string) { l.exec(fmt.Sprintf(luaDELETE, l.table, key)) }

func (l lua) InsertNoData(key string, exp int64) {
	l.exec(fmt.Sprintf("INSERT INTO %s (sid, exp) VALUES ('%s', TO_TIMESTAMP(%d))", l.table, key, exp))
}

func (l lua) Cleanup(now int64) { l.exec(fmt.Sprintf(luaCLEANUP, l.table, now)) }

// luaHarness: the driver creates the tables (Lua's DDL is the same, see
// TestCreateSchemaOnLuaTables) on a server in UTC.
var luaHarness = sqlstoretest.LuaHarness{
	Harness: harness,
	Zones:   []sqlstoretest.LuaZone{{Name: "server time zone"}},
	Pair: func(t *testing.T, _ sqlstoretest.LuaZone) (sqlstoretest.Store, sqlstoretest.LuaNode, func() time.Time) {
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
	},
}

func TestLuaWritesDriverReads(t *testing.T) { sqlstoretest.LuaWritesDriverReads(t, luaHarness) }
func TestDriverWritesLuaReads(t *testing.T) { sqlstoretest.DriverWritesLuaReads(t, luaHarness) }

// Lua's README's DDL, verbatim: the exp index is unnamed, and PostgreSQL
// names it sessions_exp_idx, the name CreateSchema gives it too.
func TestCreateSchemaOnLuaTables(t *testing.T) {
	sqlstoretest.CreateSchemaOnLuaTables(t, harness, func(t *testing.T, schema string) string {
		l := lua{t: t, table: schema + ".sessions", meta: schema + ".sessions_meta"}
		l.exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (sid TEXT PRIMARY KEY, name TEXT, data TEXT, exp TIMESTAMP WITH TIME ZONE)", l.table))
		l.exec(fmt.Sprintf("CREATE INDEX ON %s (exp)", l.table))
		l.exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (aud TEXT, sub TEXT, sid TEXT REFERENCES %s (sid) ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY (aud, sub, sid))", l.meta, l.table))
		return l.table
	}, indexes, "sessions_exp_idx")
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
