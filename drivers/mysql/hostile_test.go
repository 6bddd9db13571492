package mysql_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

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

// tableNameOK reports whether MySQL takes s as a table name as written:
// valid UTF-8 without NUL bytes, and no trailing space.
func tableNameOK(s string) bool {
	return !strings.ContainsRune(s, 0) && utf8.ValidString(s) && !strings.HasSuffix(s, " ")
}

// hostileHarness: MySQL's limits are its columns (strict mode refuses
// what does not fit) and identifiers of 64 characters without
// supplementary characters.
var hostileHarness = sqlstoretest.HostileHarness{
	Harness:           harness,
	Storable:          storable,
	TableNameOK:       tableNameOK,
	TooLongTableNames: []string{strings.Repeat("x", 65), "\U0001F600"},
	TableExists: func(t testing.TB, db, name string) bool {
		var n int
		require.NoError(t, admin.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", db, name).Scan(&n))
		return n == 1
	},
	Limits: func(mode mysql.Mode) (int, int, int) {
		if mode == mysql.LuaTables {
			return mysql.MaxNameLength, mysql.MaxLuaKeyLength, mysql.MaxLuaPairLength
		}
		return mysql.MaxNameLength, mysql.MaxKeyLength, mysql.MaxPairLength
	},
}

func TestHostileArguments(t *testing.T)  { sqlstoretest.HostileArguments(t, hostileHarness) }
func TestHostileTableNames(t *testing.T) { sqlstoretest.HostileTableNames(t, hostileHarness) }
func TestLengthLimits(t *testing.T)      { sqlstoretest.LengthLimits(t, hostileHarness) }

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
