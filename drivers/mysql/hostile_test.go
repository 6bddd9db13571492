package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

// hostile are strings an attacker or a bug may pass in any argument: SQL
// metacharacters and quotes of every kind, backslash escapes (which MySQL
// reads inside string literals), placeholders (which go-sql-driver
// interpolates), comments, a NUL byte, Ctrl-Z, invalid UTF-8, control and
// bidi characters.
var hostile = []string{
	`'; DROP TABLE sentinel; --`,
	`"); DROP TABLE sentinel; --`,
	"`; DROP TABLE sentinel; -- ",
	`\'; DELETE FROM sentinel; -- x`,
	`\\'; DELETE FROM sentinel; #`,
	`' OR '1'='1`,
	`?`,
	`?, ?); DELETE FROM sentinel; -- x`,
	`%s%d%%_`,
	"/* c */ x",
	"_binary'x'",
	"a\x00b",
	"\x1a\\0",
	"\xff\xfe",
	"ünïcødé\u202e",
	"tab\tnew\nline",
}

// storable reports whether the tables of mode store s as the argument arg
// ("name" or "key"): OwnTables' VARBINARY columns store any bytes,
// LuaTables' ascii ones ASCII names and keys of printable ASCII up to 43
// characters.
func storable(mode mysql.Mode, arg, s string) bool {
	if mode == mysql.OwnTables {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (arg == "key" && (c <= ' ' || c == 0x7f)) {
			return false
		}
	}
	return arg != "key" || len(s) <= mysql.MaxLuaKeyLength
}

// Every string argument carrying hostile bytes writes what it should (the
// literal string) or nothing, and breaks nothing: the tables, a sentinel
// table beside them and every other session are intact.
func TestHostileArguments(t *testing.T) {
	for _, mode := range []mysql.Mode{mysql.OwnTables, mysql.LuaTables} {
		t.Run(mode.String(), func(t *testing.T) {
			store, db := newStorageDB(t, mysql.Config{Mode: mode})
			ctx := context.Background()
			sentinel := sentinelTable(t, db)
			now := time.Now()
			bystander, bv := sessionKey(), []byte("bystander")
			require.NoError(t, store.Set(ctx, "session", bystander, bv, time.Hour, now, session.SetOptions{}))
			live := 1 // sessions expected in the table

			for i, h := range hostile {
				what := fmt.Sprintf("hostile #%d", i)
				v := []byte("v-" + what)
				md := []session.Pair{{Audience: h, Subject: h}}

				// name
				k := sessionKey()
				err := store.Set(ctx, h, k, v, time.Hour, now, session.SetOptions{Metadata: md})
				if storable(mode, "name", h) {
					require.NoError(t, err, what)
					live++
					got, err := store.Get(ctx, h, k)
					require.NoError(t, err, what)
					assert.Equal(t, v, got, what)
					listed, err := store.ReadMetadata(ctx, h, h, h, now)
					require.NoError(t, err, what)
					assert.Contains(t, listed, k, what)
				} else {
					assertRejected(t, err, "name", what)
					_, err = store.Get(ctx, h, k)
					assertRejected(t, err, "name", what)
					assertRejected(t, store.Delete(ctx, h, k, now, nil), "name", what)
					_, err = store.ReadMetadata(ctx, h, "a", "s", now)
					assertRejected(t, err, "name", what)
				}

				// key, without metadata (a key with ';' cannot be indexed)
				err = store.Set(ctx, "session", h, v, time.Hour, now, session.SetOptions{})
				if storable(mode, "key", h) {
					require.NoError(t, err, what)
					got, err := store.Get(ctx, "session", h)
					require.NoError(t, err, what)
					assert.Equal(t, v, got, what)
					// rotation away from it, and delete of the new key
					k2 := sessionKey()
					require.NoError(t, store.Set(ctx, "session", k2, v, time.Hour, now, session.SetOptions{OldKey: h, Remember: true}), what)
					_, err = store.Get(ctx, "session", h)
					assert.ErrorIs(t, err, session.ErrNotFound, what)
					require.NoError(t, store.Delete(ctx, "session", k2, now, nil), what)
				} else {
					assertRejected(t, err, "key", what)
					_, err = store.Get(ctx, "session", h)
					assertRejected(t, err, "key", what)
					assertRejected(t, store.Delete(ctx, "session", h, now, nil), "key", what)
					err = store.Set(ctx, "session", sessionKey(), v, time.Hour, now, session.SetOptions{OldKey: h})
					assertRejected(t, err, "oldkey", what)
				}

				// audience and subject: any bytes, stored base64url-encoded
				k3 := sessionKey()
				require.NoError(t, store.Set(ctx, "session", k3, v, time.Hour, now, session.SetOptions{Metadata: md}), what)
				live++
				listed, err := store.ReadMetadata(ctx, "session", h, h, now)
				require.NoError(t, err, what)
				assert.Contains(t, listed, k3, what)
				n, err := session.RevokeAll(ctx, store, "session", h, h, now)
				require.NoError(t, err, what)
				if mode == mysql.OwnTables || !storable(mode, "name", h) {
					assert.Equal(t, 1, n, what)
				}
				live -= n
			}

			got, err := store.Get(ctx, "session", bystander)
			require.NoError(t, err)
			assert.Equal(t, bv, got, "other sessions are untouched")
			assert.Equal(t, live, countRows(t, db+".sessions", "true"), "exactly the accepted sessions are stored")
			assert.Equal(t, 1, countRows(t, sentinel, "true"), "the sentinel table beside them is intact")
		})
	}
}

// Hostile table names: quoted, they name a table and nothing else (a ? in
// one is not a placeholder); NUL bytes, invalid UTF-8 and names MySQL
// refuses are configuration errors.
func TestHostileTableNames(t *testing.T) {
	db := freshDatabase(t)
	sentinel := sentinelTable(t, db)
	ctx := context.Background()
	for i, h := range hostile {
		what := fmt.Sprintf("hostile table #%d", i)
		cfg := mysql.Config{Table: db + "." + h, DSN: server(t)}
		probe, err := mysql.New(cfg)
		if err == nil {
			require.NoError(t, probe.Close())
		} else {
			assert.ErrorIs(t, err, mysql.ErrConfig, what)
			assert.True(t, strings.ContainsRune(h, 0) || !utfValid(h) || strings.HasSuffix(h, " "), "%s refused: %v", what, err)
			continue
		}
		for _, mode := range []mysql.Mode{mysql.OwnTables, mysql.LuaTables} {
			cfg.Mode = mode
			if mode == mysql.LuaTables {
				cfg.Table = db + "." + h + "_lua"
			}
			store := newStorage(t, cfg)
			k := sessionKey()
			md := []session.Pair{{Audience: "a", Subject: "s"}}
			require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: md}), what)
			require.NoError(t, store.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: k, Metadata: md}), what)
			got, err := store.Get(ctx, "session", k)
			require.NoError(t, err, what)
			assert.Equal(t, "v", string(got), what)
			listed, err := store.ReadMetadata(ctx, "session", "a", "s", time.Now())
			require.NoError(t, err, what)
			assert.Len(t, listed, 1, what)
			_, err = store.Sweep(ctx)
			require.NoError(t, err, what)
			require.NoError(t, store.Delete(ctx, "session", k, time.Now(), md), what)
			var n int
			require.NoError(t, admin.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
				db, cfg.Table[len(db)+1:]).Scan(&n))
			assert.Equal(t, 1, n, "%s: the table has the literal name", what)
		}
	}
	assert.Equal(t, 1, countRows(t, sentinel, "true"), "the sentinel table is intact")
	_, err := mysql.New(mysql.Config{Table: db + "." + strings.Repeat("x", 65)})
	assert.ErrorIs(t, err, mysql.ErrConfig, "a name longer than MySQL's 64 characters is refused")
	_, err = mysql.New(mysql.Config{Table: db + ".\U0001F600"})
	assert.ErrorIs(t, err, mysql.ErrConfig, "MySQL takes no character beyond U+FFFF in names")
}

func utfValid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// sentinelTable creates a table with one row beside the Storage's.
func sentinelTable(t *testing.T, db string) string {
	t.Helper()
	name := db + ".sentinel"
	_, err := admin.Exec("CREATE TABLE " + name + " (x int); INSERT INTO " + name + " VALUES (1)")
	require.NoError(t, err)
	return name
}

// assertRejected asserts a clean refusal of arg: an invalid argument named
// in the error.
func assertRejected(t *testing.T, err error, arg, what string) {
	t.Helper()
	require.Error(t, err, what)
	assert.ErrorIs(t, err, session.ErrInvalidArgument, what)
	var ae *session.ArgumentError
	require.True(t, errors.As(err, &ae), what)
	assert.Contains(t, strings.ToLower(ae.Arg), arg, what)
}

// Arguments at the length limits fit the columns; one byte more is refused
// before anything is sent, and with strict SQL mode the server would refuse
// it too rather than truncate it.
func TestLengthLimits(t *testing.T) {
	for _, tc := range []struct {
		mode          mysql.Mode
		keyMax, pairs int
	}{{mysql.OwnTables, mysql.MaxKeyLength, mysql.MaxPairLength}, {mysql.LuaTables, mysql.MaxLuaKeyLength, mysql.MaxLuaPairLength}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			store, db := newStorageDB(t, mysql.Config{Mode: tc.mode})
			ctx := context.Background()
			now := time.Now()
			name := strings.Repeat("n", mysql.MaxNameLength)
			key := strings.Repeat("k", tc.keyMax)
			pair := strings.Repeat("\xff", tc.pairs) // encodes to the longest base64url
			md := []session.Pair{{Audience: pair, Subject: pair}}
			require.NoError(t, store.Set(ctx, name, key, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
			listed, err := store.ReadMetadata(ctx, name, pair, pair, now)
			require.NoError(t, err)
			assert.Contains(t, listed, key)

			for _, tc := range []struct {
				arg            string
				name, key, aud string
			}{
				{"name", name + "n", sessionKey(), "a"},
				{"key", "session", key + "k", "a"},
				{"metadata[0].audience", "session", sessionKey(), pair + "x"},
			} {
				err := store.Set(ctx, tc.name, tc.key, []byte("v"), time.Hour, now, session.SetOptions{Metadata: []session.Pair{{Audience: tc.aud, Subject: "s"}}})
				require.Error(t, err, tc.arg)
				assert.ErrorIs(t, err, session.ErrTooLarge, tc.arg)
				assertRejected(t, err, tc.arg, tc.arg)
			}
			assert.Equal(t, 1, countRows(t, db+".sessions", "true"), "the refused Sets wrote nothing")
		})
	}
}

// The driver's connections refuse what does not fit rather than truncate
// it, whatever the server's default sql_mode: a key one character too long
// for lua-resty-session's sid CHAR(43), written by hand on a connection with
// the driver's settings, fails and writes nothing.
func TestStrictModeOnTheWire(t *testing.T) {
	db := freshDatabase(t)
	_, err := admin.Exec("SET GLOBAL sql_mode = ''") // a lax server: truncation with a warning
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec("SET GLOBAL sql_mode = DEFAULT") })
	store := newStorage(t, mysql.Config{DSN: server(t), Mode: mysql.LuaTables, Table: db + ".sessions"})
	var mode string
	require.NoError(t, mysql.QueryRowForTest(store, "SELECT @@SESSION.sql_mode").Scan(&mode))
	assert.Equal(t, "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION", mode)
	_, err = mysql.ExecForTest(store, "INSERT INTO "+db+".sessions (sid, name, data, exp) VALUES (?, 's', '', NOW())", strings.Repeat("k", 44))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1406", "Data too long: refused, not truncated")
	assert.Zero(t, countRows(t, db+".sessions", "true"))
}
