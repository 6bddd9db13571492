package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// myLua is MySQL's dialect for lua-resty-session's DATETIME expiries.
var myLua = func() Dialect {
	d := my
	d.TimeArg = func(p string) string { return "FROM_UNIXTIME(" + p + ")" }
	d.TimeColumn = func(c string) string { return "UNIX_TIMESTAMP(" + c + ")" }
	return d
}()

// mySet writes MySQL's parts of a Set for n pairs.
func mySet(n int) SetDialect {
	return SetDialect{
		Upsert:    func(b *Builder, _ Layout) { b.S(" ON DUPLICATE KEY UPDATE data = VALUES(data), exp = VALUES(exp)") },
		IndexRows: func(b *Builder, l Layout) { l.WriteIndexValues(b, n) },
		IndexKeep: " ON DUPLICATE KEY UPDATE sid = sid",
		Pairs:     func(b *Builder) { WritePairList(b, n) },
	}
}

func TestSetStmtsOrder(t *testing.T) {
	own := layout(t, my, OwnTables)
	sts := own.SetStmts(my, mySet(2), RotateShorten, true)
	require.Len(t, sts, 4)
	assert.Equal(t, "INSERT INTO `app`.`sessions` (name, sid, data, exp) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE data = VALUES(data), exp = VALUES(exp)", sts[0].SQL)
	assert.Equal(t, "UPDATE `app`.`sessions` SET exp = LEAST(exp, ?) WHERE name = ? AND sid = ?", sts[1].SQL)
	assert.Equal(t, "DELETE FROM `app`.`sessions_meta` WHERE name = ? AND sid = ? AND (aud, sub) IN ((?, ?), (?, ?))"+
		" AND EXISTS (SELECT 1 FROM `app`.`sessions` WHERE name = ? AND sid = ? AND exp <= ?)", sts[2].SQL)
	assert.Equal(t, "INSERT INTO `app`.`sessions_meta` (name, aud, sub, sid) VALUES (?, ?, ?, ?), (?, ?, ?, ?) ON DUPLICATE KEY UPDATE sid = sid", sts[3].SQL)
	assert.Nil(t, sts[0].Elems, "no list elements: no Elems")
	assert.Equal(t, []int{-1, -1, 0, 0, 1, 1, -1, -1, -1}, sts[2].Elems)

	var v Values
	v[ArgName], v[ArgKey], v[ArgOldKey], v[ArgStaleExp] = "n", "k", "old", int64(9)
	v[ArgAudience], v[ArgSubject] = []any{"a0", "a1"}, []any{"s0", "s1"}
	assert.Equal(t, []any{"n", "old", "a0", "s0", "a1", "s1", "n", "old", int64(9)}, sts[2].Bind(&v))
	assert.Equal(t, []any{"n", "a0", "s0", "k", "n", "a1", "s1", "k"}, sts[3].Bind(&v))
	v[ArgAudience] = []any{"a0"} // shorter than the statement: NULL, no panic
	assert.Equal(t, []any{"n", "a0", "s0", "k", "n", nil, "s1", "k"}, sts[3].Bind(&v))
	v[ArgAudience] = "not a list"
	assert.Equal(t, []any{"n", nil, "s0", "k", "n", nil, "s1", "k"}, sts[3].Bind(&v))

	for _, tc := range []struct {
		rot  Rotation
		md   bool
		want int
	}{{RotateNone, false, 1}, {RotateNone, true, 2}, {RotateShorten, false, 2}, {RotateRemember, false, 2}, {RotateRemember, true, 3}} {
		assert.Len(t, own.SetStmts(my, mySet(1), tc.rot, tc.md), tc.want, "%v %v", tc.rot, tc.md)
	}
	rem := own.SetStmts(my, mySet(1), RotateRemember, true)
	assert.Equal(t, "DELETE FROM `app`.`sessions` WHERE name = ? AND sid = ?", rem[1].SQL)
	assert.Equal(t, []Arg{ArgName, ArgOldKey}, rem[1].Args)
}

func TestTimeHooks(t *testing.T) {
	lua := layout(t, myLua, LuaTables)
	sts := lua.SetStmts(myLua, mySet(1), RotateShorten, true)
	assert.Equal(t, "INSERT INTO `app`.`sessions` (name, sid, data, exp) VALUES (?, ?, ?, FROM_UNIXTIME(?)) ON DUPLICATE KEY UPDATE data = VALUES(data), exp = VALUES(exp)", sts[0].SQL)
	assert.Equal(t, "UPDATE `app`.`sessions` SET exp = LEAST(exp, FROM_UNIXTIME(?)) WHERE sid = ?", sts[1].SQL)
	assert.Equal(t, "DELETE FROM `app`.`sessions_meta` WHERE sid = ? AND (aud, sub) IN ((?, ?)) AND EXISTS (SELECT 1 FROM `app`.`sessions` WHERE sid = ? AND exp <= FROM_UNIXTIME(?))", sts[2].SQL)
	assert.Equal(t, "INSERT INTO `app`.`sessions_meta` (aud, sub, sid) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE sid = sid", sts[3].SQL)
	assert.Equal(t, "SELECT m.sid, UNIX_TIMESTAMP(s.exp) FROM `app`.`sessions_meta` AS m JOIN `app`.`sessions` AS s ON s.sid = m.sid"+
		" WHERE m.aud = ? AND m.sub = ? AND s.exp > FROM_UNIXTIME(?)", lua.ReadMetadata(myLua).SQL)
	assert.Equal(t, "SELECT data FROM `app`.`sessions` WHERE sid = ? AND exp > FROM_UNIXTIME(?) AND data IS NOT NULL", lua.Get(myLua).SQL)

	// Numbered parameters keep their number inside the hook.
	pgT := pg
	pgT.TimeArg = func(p string) string { return "to_timestamp(" + p + ")" }
	st := NewBuilder(pgT).S("a > ").T(ArgNow).S(" AND b > ").T(ArgNow).S(" AND c IN (").E(ArgAudience, 0).S(")").Stmt()
	assert.Equal(t, "a > to_timestamp($1) AND b > to_timestamp($1) AND c IN ($2)", st.SQL)
	assert.Equal(t, []Arg{ArgNow, ArgAudience}, st.Args)
}

func TestCheckIdentHook(t *testing.T) {
	d := my
	d.CheckIdent = func(p string) error {
		if strings.HasSuffix(p, " ") {
			return errors.New("ends with a space")
		}
		return nil
	}
	_, err := ParseTable(d, "Table", "app.sessions ")
	assert.ErrorIs(t, err, ErrTableName)
	assert.ErrorContains(t, err, "ends with a space")
	_, err = ParseTable(d, "Table", "app.sessions")
	assert.NoError(t, err)
}

func TestColumns(t *testing.T) {
	lua := Columns{Name: ASCII, Key: Token, Value: ASCII, MaxName: 255, MaxKey: 43, MaxPair: 191}
	own := Columns{MaxName: 255, MaxKey: 512, MaxPair: 384}
	plan := func(name, key, old string, value []byte, md ...session.Pair) *driver.SetPlan {
		return &driver.SetPlan{Name: name, Key: key, Value: value, Rotation: driver.Rotation{Key: old}, Metadata: md, TTL: time.Minute}
	}
	key := strings.Repeat("k", 43)
	require.NoError(t, lua.CheckSet(plan("session", key, "old-key_1", []byte(`["json"]`), session.Pair{Audience: strings.Repeat("a", 191), Subject: "s"}), false))
	require.NoError(t, own.CheckSet(plan("n\x00\xff", "k\xfe y", "\x00", []byte{0, 0xff}), false), "binary columns hold any bytes")

	for _, tc := range []struct {
		p        *driver.SetPlan
		arg      string
		tooLarge bool
	}{
		{plan("sessión", key, "", nil), "name", false},
		{plan("session", "with space", "", nil), "key", false},
		{plan("session", "tab\there", "", nil), "key", false},
		{plan("session", "ünï", "", nil), "key", false},
		{plan("session", key, "old key", nil), "opts.OldKey", false},
		{plan("session", key, "", []byte("ü")), "value", false},
		{plan("session", key+"k", "", nil), "key", true},
		{plan(strings.Repeat("n", 256), key, "", nil), "name", true},
		{plan("session", key, "", nil, session.Pair{Audience: "a", Subject: strings.Repeat("s", 192)}), "metadata[0].Subject", true},
	} {
		err := lua.CheckSet(tc.p, false)
		var ae *session.ArgumentError
		require.True(t, errors.As(err, &ae), "%s: %v", tc.arg, err)
		assert.Equal(t, tc.arg, ae.Arg)
		assert.Equal(t, tc.tooLarge, errors.Is(err, session.ErrTooLarge), tc.arg)
		assert.NotContains(t, err.Error(), "with space", "the error never quotes the argument")
	}
	long := plan("session", key, "", nil, session.Pair{Audience: "a", Subject: strings.Repeat("s", 500)})
	assert.NoError(t, lua.CheckSet(long, true), "a hashed subject has a fixed length")
	assert.NoError(t, lua.CheckNameKey("session", "a_b-c"))
	assert.Error(t, Text.Check("key", "nul\x00"))
	assert.NoError(t, Binary.CheckBytes("value", []byte{0xff}))
}
