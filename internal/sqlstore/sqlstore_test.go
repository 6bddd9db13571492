package sqlstore

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// pg and my are stand-ins for the two dialects, written here so that this
// package's tests need no database client.
var (
	pg = Dialect{
		Name:           "pg",
		QuoteIdent:     func(p string) string { return `"` + strings.ReplaceAll(p, `"`, `""`) + `"` },
		Placeholder:    func(n int) string { return "$" + strconv.Itoa(n) },
		NumberedParams: true,
		MaxIdentLen:    63,
	}
	my = Dialect{
		Name:            "my",
		QuoteIdent:      func(p string) string { return "`" + strings.ReplaceAll(p, "`", "``") + "`" },
		Placeholder:     func(int) string { return "?" },
		MaxIdentLen:     64,
		IdentLenInChars: true,
	}
)

func TestParseTable(t *testing.T) {
	for _, tc := range []struct {
		name, quoted string
	}{
		{"sessions", `"sessions"`},
		{"app.sessions", `"app"."sessions"`},
		{"db.app.sessions", `"db"."app"."sessions"`},
		{`we"ird`, `"we""ird"`},
		{`x"; DROP TABLE users; --`, `"x""; DROP TABLE users; --"`},
		{"Mixed Case", `"Mixed Case"`},
		{"ünïcødé", `"ünïcødé"`},
		{strings.Repeat("a", 63), `"` + strings.Repeat("a", 63) + `"`},
	} {
		tb, err := ParseTable(pg, "Table", tc.name)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.quoted, tb.Quoted(pg), tc.name)
		assert.Equal(t, tc.name, tb.String())
		assert.False(t, tb.IsZero())
	}
	tb, err := ParseTable(my, "Table", "app.`s`")
	require.NoError(t, err)
	assert.Equal(t, "`app`.```s```", tb.Quoted(my))
	assert.Equal(t, "`s`", tb.Name())
	assert.Equal(t, []string{"app", "`s`"}, tb.Parts())
}

func TestParseTableRejects(t *testing.T) {
	for _, name := range []string{
		"", ".", "a.", ".a", "a..b", "a.b.c.d",
		"nul\x00byte", "bad\xffutf8", "app.\xfe",
		strings.Repeat("a", 64),          // over 63 bytes: PostgreSQL would truncate it
		strings.Repeat("é", 32),          // 64 bytes
		"ok." + strings.Repeat("b", 100), // any part
	} {
		_, err := ParseTable(pg, "TableMeta", name)
		require.Error(t, err, "%q", name)
		assert.ErrorIs(t, err, ErrTableName)
		assert.Contains(t, err.Error(), "TableMeta")
	}
	// MySQL counts characters: 64 of them fit whatever their bytes.
	_, err := ParseTable(my, "Table", strings.Repeat("é", 64))
	assert.NoError(t, err)
	_, err = ParseTable(my, "Table", strings.Repeat("é", 65))
	assert.ErrorIs(t, err, ErrTableName)
	assert.True(t, Table{}.IsZero())
	assert.Equal(t, "", Table{}.Name())
}

func TestSiblingAndDefaultMeta(t *testing.T) {
	tb, err := ParseTable(pg, "Table", "app.sessions")
	require.NoError(t, err)
	assert.Equal(t, `"app"."sessions_exp_idx"`, tb.Sibling("sessions_exp_idx").Quoted(pg))
	assert.Equal(t, "app.sessions", tb.String(), "Sibling leaves its receiver alone")
	assert.Equal(t, "app.sessions_meta", DefaultMetaTable("app.sessions"))
	assert.Equal(t, "sessions_meta", DefaultMetaTable(DefaultTable))
}

func TestBuilderPlaceholders(t *testing.T) {
	build := func(d Dialect) Stmt {
		return NewBuilder(d).S("x = ").P(ArgKey).S(" AND y = ").P(ArgNow).S(" AND z = ").P(ArgKey).Stmt()
	}
	st := build(pg)
	assert.Equal(t, "x = $1 AND y = $2 AND z = $1", st.SQL, "numbered parameters are reused")
	assert.Equal(t, []Arg{ArgKey, ArgNow}, st.Args)
	st = build(my)
	assert.Equal(t, "x = ? AND y = ? AND z = ?", st.SQL, "each ? is a parameter of its own")
	assert.Equal(t, []Arg{ArgKey, ArgNow, ArgKey}, st.Args)

	var v Values
	v[ArgKey], v[ArgNow] = "k", 7
	assert.Equal(t, []any{"k", 7, "k"}, st.Bind(&v))
	assert.Equal(t, "pg", NewBuilder(pg).Dialect().Name)
	assert.Equal(t, `DROP INDEX "a""b"`, NewBuilder(pg).S("DROP INDEX ").Ident(`a"b`).Stmt().SQL)
}

func layout(t *testing.T, d Dialect, m Mode) Layout {
	t.Helper()
	s, err := ParseTable(d, "Table", "app.sessions")
	require.NoError(t, err)
	meta, err := ParseTable(d, "TableMeta", "app.sessions_meta")
	require.NoError(t, err)
	return Layout{Mode: m, Sessions: s, Meta: meta}
}

func TestLayoutStatements(t *testing.T) {
	own, lua := layout(t, pg, OwnTables), layout(t, pg, LuaTables)
	for _, tc := range []struct {
		name string
		st   Stmt
		sql  string
		args []Arg
	}{
		{"own get", own.Get(pg), `SELECT data FROM "app"."sessions" WHERE name = $1 AND sid = $2 AND exp > $3`, []Arg{ArgName, ArgKey, ArgNow}},
		{"lua get", lua.Get(pg), `SELECT data FROM "app"."sessions" WHERE sid = $1 AND exp > $2 AND data IS NOT NULL`, []Arg{ArgKey, ArgNow}},
		{"own read", own.ReadMetadata(pg), `SELECT m.sid, s.exp FROM "app"."sessions_meta" AS m JOIN "app"."sessions" AS s ON s.name = m.name AND s.sid = m.sid WHERE m.name = $1 AND m.aud = $2 AND m.sub = $3 AND s.exp > $4`, []Arg{ArgName, ArgAudience, ArgSubject, ArgNow}},
		{"lua read", lua.ReadMetadata(pg), `SELECT m.sid, s.exp FROM "app"."sessions_meta" AS m JOIN "app"."sessions" AS s ON s.sid = m.sid WHERE m.aud = $1 AND m.sub = $2 AND s.exp > $3`, []Arg{ArgAudience, ArgSubject, ArgNow}},
		{"own delete", own.Delete(pg), `DELETE FROM "app"."sessions" WHERE name = $1 AND sid = $2`, []Arg{ArgName, ArgKey}},
		{"lua delete", lua.Delete(pg), `DELETE FROM "app"."sessions" WHERE sid = $1`, []Arg{ArgKey}},
		{"own shorten", build(pg, own.WriteShorten), `UPDATE "app"."sessions" SET exp = LEAST(exp, $1) WHERE name = $2 AND sid = $3`, []Arg{ArgStaleExp, ArgName, ArgOldKey}},
		{"lua stale", build(pg, lua.WriteOldIsStale), `EXISTS (SELECT 1 FROM "app"."sessions" WHERE sid = $1 AND exp <= $2)`, []Arg{ArgOldKey, ArgStaleExp}},
		{"own insert", build(pg, own.WriteInsertSession), `INSERT INTO "app"."sessions" (name, sid, data, exp) VALUES ($1, $2, $3, $4)`, []Arg{ArgName, ArgKey, ArgValue, ArgExp}},
	} {
		assert.Equal(t, tc.sql, tc.st.SQL, tc.name)
		assert.Equal(t, tc.args, tc.st.Args, tc.name)
	}
	assert.Equal(t, "name, sid", own.SessionKeyCols())
	assert.Equal(t, "sid", lua.SessionKeyCols())
	assert.Equal(t, "name, aud, sub, sid", own.MetaCols())
	assert.Equal(t, "aud, sub, sid", lua.MetaCols())

	// The same shapes in MySQL's dialect: one ? per occurrence.
	myOwn := layout(t, my, OwnTables)
	st := build(my, myOwn.WriteOldIsStale)
	assert.Equal(t, "EXISTS (SELECT 1 FROM `app`.`sessions` WHERE name = ? AND sid = ? AND exp <= ?)", st.SQL)
	assert.Equal(t, []Arg{ArgName, ArgOldKey, ArgStaleExp}, st.Args)
}

func build(d Dialect, write func(*Builder)) Stmt {
	b := NewBuilder(d)
	write(b)
	return b.Stmt()
}

func TestMode(t *testing.T) {
	assert.True(t, OwnTables.Valid())
	assert.True(t, LuaTables.Valid())
	assert.False(t, Mode(7).Valid())
	assert.False(t, OwnTables.NamesShareKeys())
	assert.False(t, OwnTables.TextValues())
	assert.True(t, LuaTables.NamesShareKeys())
	assert.True(t, LuaTables.TextValues())
	assert.Equal(t, "own tables", OwnTables.String())
	assert.Equal(t, "lua-resty-session tables", LuaTables.String())
	assert.Equal(t, "Mode(7)", Mode(7).String())
}

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"", `["json"]`, "ünïcødé", "tab\tnewline\n"} {
		assert.NoError(t, CheckText("value", []byte(ok)))
		assert.NoError(t, CheckTextString("key", ok))
	}
	for _, bad := range []string{"nul\x00", "\xff\xfe", "half \xe2\x82"} {
		err := CheckText("value", []byte(bad))
		require.Error(t, err)
		assert.ErrorIs(t, err, session.ErrInvalidArgument)
		assert.Contains(t, err.Error(), "value")
		assert.NotContains(t, err.Error(), bad, "the error never quotes the argument")
		var ae *session.ArgumentError
		require.True(t, errors.As(CheckTextString("key", bad), &ae))
		assert.Equal(t, "key", ae.Arg)
	}
}

func TestCheckLen(t *testing.T) {
	assert.NoError(t, CheckLen("key", "abcd", 4))
	err := CheckLen("key", "abcde", 4)
	require.Error(t, err)
	assert.ErrorIs(t, err, session.ErrTooLarge)
	assert.ErrorIs(t, err, session.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "limit 4 bytes")
	assert.NotContains(t, err.Error(), "abcde")
}

func TestConfigHelpers(t *testing.T) {
	d, err := Duration("ReadTimeout", 0, time.Second)
	require.NoError(t, err)
	assert.Equal(t, time.Second, d)
	d, err = Duration("ReadTimeout", 3*time.Second, time.Second)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, d)
	_, err = Duration("ReadTimeout", -1, time.Second)
	assert.ErrorContains(t, err, "ReadTimeout must not be negative")

	n, err := Size("PoolSize", 0, 10)
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	_, err = Size("PoolSize", -1, 10)
	assert.ErrorContains(t, err, "PoolSize")

	for _, tc := range []struct {
		ssl, required bool
		want          TLSPolicy
		err           error
	}{
		{false, false, TLSOff, nil},
		{true, false, TLSPreferred, nil},
		{true, true, TLSRequired, nil},
		{false, true, TLSOff, ErrSSLRequiredWithoutSSL},
	} {
		p, err := TLSPolicyOf(tc.ssl, tc.required)
		assert.Equal(t, tc.want, p)
		assert.ErrorIs(t, err, tc.err)
	}
	c := TLSConfig("db.example", false, nil, nil)
	assert.Equal(t, "db.example", c.ServerName)
	assert.False(t, c.InsecureSkipVerify, "verification is on unless switched off")
	assert.True(t, TLSConfig("", true, nil, nil).InsecureSkipVerify)
}
