package mysql_test

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// These tests need no server: New never connects.

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  mysql.Config
		want string
	}{
		{"unknown mode", mysql.Config{Mode: 7, Database: "d"}, "unknown Mode 7"},
		{"table with NUL", mysql.Config{Table: "d.ses\x00sions"}, "Table"},
		{"table not UTF-8", mysql.Config{Table: "d.\xff"}, "not valid UTF-8"},
		{"meta too long", mysql.Config{Database: "d", TableMeta: strings.Repeat("m", 65)}, "longer than the server's 64"},
		{"three parts", mysql.Config{Table: "a.b.c"}, "database.table, not more"},
		{"no database", mysql.Config{Table: "sessions"}, "names no database"},
		{"no database for meta", mysql.Config{Table: "d.s", TableMeta: "m"}, "TableMeta"},
		{"trailing space", mysql.Config{Table: "d.s "}, "ends with a space"},
		{"empty part", mysql.Config{Table: "d..sessions"}, "empty part"},
		{"same tables", mysql.Config{Table: "d.s", TableMeta: "d.s"}, "same table"},
		{"negative send", mysql.Config{Database: "d", SendTimeout: -time.Second}, "SendTimeout must not be negative"},
		{"negative read", mysql.Config{Database: "d", ReadTimeout: -time.Second}, "ReadTimeout"},
		{"negative connect", mysql.Config{Database: "d", ConnectTimeout: -time.Second}, "ConnectTimeout"},
		{"negative keepalive", mysql.Config{Database: "d", KeepaliveTimeout: -time.Second}, "KeepaliveTimeout"},
		{"negative pool", mysql.Config{Database: "d", PoolSize: -1}, "PoolSize"},
		{"negative value size", mysql.Config{Database: "d", MaxValueSize: -1}, "MaxValueSize"},
		{"value size over the column", mysql.Config{Database: "d", MaxValueSize: 1 << 24}, "more than the data column holds"},
		{"negative batch", mysql.Config{Database: "d", SweepBatch: -1}, "SweepBatch"},
		{"port", mysql.Config{Database: "d", Port: 70000}, "Port"},
		{"socket and host", mysql.Config{Database: "d", Socket: "/run/mysqld/mysqld.sock", Host: "db"}, "Socket is given"},
		{"verify without ssl", mysql.Config{Database: "d", SSLInsecureSkipVerify: true}, "need SSL"},
		{"roots without ssl", mysql.Config{Database: "d", RootCAs: x509.NewCertPool()}, "need SSL"},
		{"ssl on a socket", mysql.Config{Database: "d", Socket: "/s", SSL: true}, "unix socket"},
		{"unsafe charset", mysql.Config{Database: "d", Charset: "gbk"}, `Charset "gbk"`},
		{"dsn and fields", mysql.Config{DSN: "u@tcp(db)/x", Username: "u", SSL: true}, "[Username SSL]"},
		{"bad dsn", mysql.Config{DSN: "u:s3cretpw@tcp(db/x"}, "DSN"},
		{"dsn with a bad parameter", mysql.Config{DSN: "u:s3cretpw@tcp(db)/x?tls=bogus"}, "DSN"},
		{"dsn sets autocommit", mysql.Config{DSN: "u@tcp(db)/x?autocommit=0"}, "autocommit is set by the driver"},
		{"dsn sets a charset variable", mysql.Config{DSN: "u@tcp(db)/x?character_set_client=gbk"}, "character_set_client"},
		{"dsn with a lax sql_mode", mysql.Config{DSN: "u@tcp(db)/x?sql_mode=%27ANSI_QUOTES%27"}, "must include STRICT_ALL_TABLES"},
		{"dsn with an unsafe collation", mysql.Config{DSN: "u@tcp(db)/x?collation=gbk_chinese_ci"}, `collation "gbk_chinese_ci"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := mysql.New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, mysql.ErrConfig)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "s3cretpw", "a password never reaches an error")
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	my, err := mysql.ConfigOf(mysql.Config{Database: "web"})
	require.NoError(t, err)
	assert.Equal(t, "tcp", my.Net)
	assert.Equal(t, "127.0.0.1:3306", my.Addr)
	assert.Equal(t, "root", my.User)
	assert.Equal(t, "web", my.DBName)
	assert.Nil(t, my.TLS, "no TLS unless SSL")
	assert.Equal(t, mysql.DefaultConnectTimeout, my.Timeout)
	assert.Equal(t, mysql.DefaultSendTimeout, my.WriteTimeout)
	assert.Equal(t, 6*time.Second, my.ReadTimeout, "the read deadline is a second past the server's lock wait timeout")
	assert.True(t, my.InterpolateParams, "one query per operation")
	assert.True(t, my.MultiStatements, "one query per operation")
	assert.Equal(t, "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'", my.Params["sql_mode"])
	assert.Equal(t, "5", my.Params["innodb_lock_wait_timeout"], "ReadTimeout is the server's lock wait timeout")
	assert.NotNil(t, my.DialFunc)
	size, idle, err := mysql.PoolOf(mysql.Config{Database: "web"})
	require.NoError(t, err)
	assert.Equal(t, mysql.DefaultPoolSize, size)
	assert.Zero(t, idle)

	s, err := mysql.New(mysql.Config{Database: "web"})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, mysql.OwnTables, s.Mode())
}

func TestConfigFields(t *testing.T) {
	my, err := mysql.ConfigOf(mysql.Config{
		Host: "db.internal", Port: 3307, Username: "app", Password: "pw", Database: "web", Charset: "ascii",
		ConnectTimeout: time.Second, SendTimeout: 2 * time.Second, ReadTimeout: 1500 * time.Millisecond,
		SSL: true, SSLInsecureSkipVerify: true,
	})
	require.NoError(t, err)
	assert.Equal(t, "db.internal:3307", my.Addr)
	assert.Equal(t, "app", my.User)
	assert.Equal(t, "pw", my.Passwd)
	assert.Equal(t, time.Second, my.Timeout)
	assert.Equal(t, 2*time.Second, my.WriteTimeout)
	assert.Equal(t, "2", my.Params["innodb_lock_wait_timeout"], "whole seconds, rounded up")
	assert.Equal(t, 3*time.Second, my.ReadTimeout)
	require.NotNil(t, my.TLS)
	assert.Equal(t, "db.internal", my.TLS.ServerName)
	assert.True(t, my.TLS.InsecureSkipVerify)
	assert.False(t, my.AllowFallbackToPlaintext, "ssl: TLS or no connection, as resty.mysql")

	my, err = mysql.ConfigOf(mysql.Config{Host: "db", Database: "web", SSL: true, ServerName: "db.example"})
	require.NoError(t, err)
	assert.False(t, my.TLS.InsecureSkipVerify, "verification is on unless switched off")
	assert.Equal(t, "db.example", my.TLS.ServerName)

	my, err = mysql.ConfigOf(mysql.Config{Socket: "/run/mysqld/mysqld.sock", Database: "web"})
	require.NoError(t, err)
	assert.Equal(t, "unix", my.Net)
	assert.Equal(t, "/run/mysqld/mysqld.sock", my.Addr)

	size, idle, err := mysql.PoolOf(mysql.Config{Database: "web", PoolSize: 7, KeepaliveTimeout: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, 7, size)
	assert.Equal(t, int64(time.Minute), idle)
}

func TestConfigDSN(t *testing.T) {
	my, err := mysql.ConfigOf(mysql.Config{DSN: "u:pw@tcp(db:3310)/web?timeout=9s&readTimeout=2s&sql_mode=%27STRICT_TRANS_TABLES%27&innodb_lock_wait_timeout=7"})
	require.NoError(t, err)
	assert.Equal(t, "db:3310", my.Addr)
	assert.Equal(t, "web", my.DBName)
	assert.Equal(t, 9*time.Second, my.Timeout, "the DSN's own settings stay")
	assert.Equal(t, 3*time.Second, my.ReadTimeout, "readTimeout=2s: the lock wait timeout, then a second more")
	assert.Equal(t, "'STRICT_TRANS_TABLES'", my.Params["sql_mode"], "a strict sql_mode stays")
	assert.Equal(t, "7", my.Params["innodb_lock_wait_timeout"])
	assert.True(t, my.InterpolateParams)
	assert.True(t, my.MultiStatements)

	my, err = mysql.ConfigOf(mysql.Config{DSN: "u@tcp(db)/web?timeout=9s", ConnectTimeout: time.Second, ReadTimeout: time.Second})
	require.NoError(t, err)
	assert.Equal(t, time.Second, my.Timeout, "fields beside the DSN override it")
	assert.Equal(t, "1", my.Params["innodb_lock_wait_timeout"])

	_, err = mysql.New(mysql.Config{DSN: "u@tcp(db)/"})
	assert.ErrorIs(t, err, mysql.ErrConfig, "a DSN without a database needs a qualified Table")
	s, err := mysql.New(mysql.Config{DSN: "u@tcp(db)/", Table: "web.sessions"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

func TestEndpoint(t *testing.T) {
	s, err := mysql.New(mysql.Config{Host: "db.internal", Port: 3307, Database: "web"})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "mysql", s.Endpoint().System)
	assert.Equal(t, "db.internal", s.Endpoint().Address)
	assert.Equal(t, 3307, s.Endpoint().Port)

	s2, err := mysql.New(mysql.Config{Socket: "/run/mysqld/mysqld.sock", Database: "web"})
	require.NoError(t, err)
	defer s2.Close()
	assert.Equal(t, "/run/mysqld/mysqld.sock", s2.Endpoint().Address)
	assert.Equal(t, 0, s2.Endpoint().Port)
}

func TestClose(t *testing.T) {
	s, err := mysql.New(mysql.Config{Host: "127.0.0.1", Port: 1, Database: "web"})
	require.NoError(t, err)
	sqlstoretest.Closed(t, s)
}

// A server that is not there: New succeeds (it does not connect), calls
// fail with a connection error, not a miss.
func TestNoServer(t *testing.T) {
	s, err := mysql.New(mysql.Config{Host: "127.0.0.1", Port: 1, Database: "web", SweepInterval: -1})
	require.NoError(t, err)
	sqlstoretest.NoServer(t, s, "mysql")
}

func TestSchemaSQL(t *testing.T) {
	own, err := mysql.SchemaSQL(mysql.Config{Table: "app.sessions"})
	require.NoError(t, err)
	assert.Equal(t, "CREATE TABLE IF NOT EXISTS `app`.`sessions` (name VARBINARY(255) NOT NULL, sid VARBINARY(512) NOT NULL, data MEDIUMBLOB NOT NULL, exp BIGINT NOT NULL, PRIMARY KEY (name, sid), INDEX exp (exp)) ENGINE=InnoDB;\n"+
		"CREATE TABLE IF NOT EXISTS `app`.`sessions_meta` (name VARBINARY(255) NOT NULL, aud VARBINARY(512) NOT NULL, sub VARBINARY(512) NOT NULL, sid VARBINARY(512) NOT NULL, PRIMARY KEY (name, aud, sub, sid), INDEX name_sid (name, sid), FOREIGN KEY (name, sid) REFERENCES `app`.`sessions` (name, sid) ON DELETE CASCADE ON UPDATE CASCADE) ENGINE=InnoDB;\n", own)

	lua, err := mysql.SchemaSQL(mysql.Config{Mode: mysql.LuaTables, Database: "web"})
	require.NoError(t, err)
	// lua-resty-session's README, with COLLATE ascii_bin and InnoDB named.
	assert.Equal(t, "CREATE TABLE IF NOT EXISTS `sessions` (sid CHAR(43) PRIMARY KEY, name VARCHAR(255), data MEDIUMTEXT, exp DATETIME, INDEX (exp)) CHARACTER SET ascii COLLATE ascii_bin ENGINE=InnoDB;\n"+
		"CREATE TABLE IF NOT EXISTS `sessions_meta` (aud VARCHAR(255), sub VARCHAR(255), sid CHAR(43), PRIMARY KEY (aud, sub, sid), CONSTRAINT FOREIGN KEY (sid) REFERENCES `sessions` (sid) ON DELETE CASCADE ON UPDATE CASCADE) CHARACTER SET ascii COLLATE ascii_bin ENGINE=InnoDB;\n", lua)

	hostile, err := mysql.SchemaSQL(mysql.Config{Table: "d.x`; DROP TABLE users; --"})
	require.NoError(t, err)
	assert.Contains(t, hostile, "CREATE TABLE IF NOT EXISTS `d`.`x``; DROP TABLE users; --` (", "backticks are doubled: the name stays one identifier")

	_, err = mysql.SchemaSQL(mysql.Config{Table: "d.a\x00"})
	assert.ErrorIs(t, err, mysql.ErrConfig)
	_, err = mysql.SchemaSQL(mysql.Config{Mode: 9, Database: "d"})
	assert.ErrorIs(t, err, mysql.ErrConfig)
}

// The statements, as sent (go-sql-driver puts each value in place of its
// ?). The upsert is the form MySQL 8 and MariaDB both run.
func TestStatements(t *testing.T) {
	s, err := mysql.New(mysql.Config{Table: "d.s"})
	require.NoError(t, err)
	defer s.Close()
	upsert := "INSERT INTO `d`.`s` (name, sid, data, exp) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE data = VALUES(data), exp = VALUES(exp)"
	assert.Equal(t, upsert, s.SetSQL("", 0), "one statement: no transaction around it")
	assert.Equal(t, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; "+upsert+
		"; UPDATE `d`.`s` SET exp = LEAST(exp, ?) WHERE name = ? AND sid = ?"+
		"; DELETE FROM `d`.`s_meta` WHERE name = ? AND sid = ? AND (aud, sub) IN ((?, ?)) AND EXISTS (SELECT 1 FROM `d`.`s` WHERE name = ? AND sid = ? AND exp <= ?)"+
		"; INSERT INTO `d`.`s_meta` (name, aud, sub, sid) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE sid = sid; COMMIT", s.SetSQL("stale", 1))
	assert.Equal(t, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; "+upsert+
		"; DELETE FROM `d`.`s` WHERE name = ? AND sid = ?; COMMIT", s.SetSQL("remember", 0))
	assert.Contains(t, s.SetSQL("", 6), "VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?) ON DUPLICATE", "more pairs than rendered in advance")
	assert.Equal(t, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; DELETE FROM `d`.`s` WHERE exp < ? ORDER BY exp LIMIT ?", s.OtherSQL()["sweep"])

	lua, err := mysql.New(mysql.Config{Mode: mysql.LuaTables, Database: "d"})
	require.NoError(t, err)
	defer lua.Close()
	assert.Equal(t, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; "+
		"INSERT INTO `sessions` (name, sid, data, exp) VALUES (?, ?, ?, FROM_UNIXTIME(?)) ON DUPLICATE KEY UPDATE data = VALUES(data), exp = VALUES(exp)"+
		"; DELETE FROM `sessions` WHERE sid = ?"+
		"; INSERT INTO `sessions_meta` (aud, sub, sid) VALUES (?, ?, ?), (?, ?, ?) ON DUPLICATE KEY UPDATE sid = sid; COMMIT", lua.SetSQL("remember", 2))
	assert.Equal(t, "SELECT data FROM `sessions` WHERE sid = ? AND exp > FROM_UNIXTIME(?) AND data IS NOT NULL", lua.OtherSQL()["get"])
	assert.Equal(t, "SELECT m.sid, UNIX_TIMESTAMP(s.exp) FROM `sessions_meta` AS m JOIN `sessions` AS s ON s.sid = m.sid WHERE m.aud = ? AND m.sub = ? AND s.exp > FROM_UNIXTIME(?)", lua.OtherSQL()["read"])
}

func TestTimeClamps(t *testing.T) {
	assert.Equal(t, int64(1700000000), mysql.LuaTime(1700000000))
	assert.Equal(t, int64(1<<31-1), mysql.LuaTime(1<<40), "FROM_UNIXTIME's limit on MariaDB 10.11")
	assert.Equal(t, int64(0), mysql.LuaTime(-5))
}

func TestEscapedLen(t *testing.T) {
	assert.Equal(t, len("_binary''"), mysql.EscapedLen(nil))
	assert.Equal(t, len(`_binary'abc'`), mysql.EscapedLen([]byte("abc")))
	assert.Equal(t, len(`_binary'\0\n\r\Z\'\"\\'`), mysql.EscapedLen([]byte("\x00\n\r\x1a'\"\\")))
}
