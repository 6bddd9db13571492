package postgres_test

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// These tests need no server: New never connects.

func TestConfigErrors(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "host=127.0.0.1 port=1")
	require.NoError(t, err)
	defer pool.Close()
	for _, tc := range []struct {
		name string
		cfg  postgres.Config
		want string
	}{
		{"unknown mode", postgres.Config{Mode: 7}, "unknown Mode 7"},
		{"table with NUL", postgres.Config{Table: "ses\x00sions"}, "Table"},
		{"table not UTF-8", postgres.Config{Table: "\xff"}, "not valid UTF-8"},
		{"meta too long", postgres.Config{TableMeta: strings.Repeat("m", 64)}, "longer than the server's 63"},
		{"empty part", postgres.Config{Table: "app..sessions"}, "empty part"},
		{"same tables", postgres.Config{Table: "s", TableMeta: "s"}, "same table"},
		{"negative send", postgres.Config{SendTimeout: -time.Second}, "SendTimeout must not be negative"},
		{"negative read", postgres.Config{ReadTimeout: -time.Second}, "ReadTimeout"},
		{"negative connect", postgres.Config{ConnectTimeout: -time.Second}, "ConnectTimeout"},
		{"negative keepalive", postgres.Config{KeepaliveTimeout: -time.Second}, "KeepaliveTimeout"},
		{"negative pool", postgres.Config{PoolSize: -1}, "PoolSize"},
		{"negative value size", postgres.Config{MaxValueSize: -1}, "MaxValueSize"},
		{"negative batch", postgres.Config{SweepBatch: -1}, "SweepBatch"},
		{"port", postgres.Config{Port: 70000}, "Port"},
		{"ssl required without ssl", postgres.Config{SSLRequired: true}, "SSLRequired needs SSL"},
		{"verify without ssl", postgres.Config{SSLInsecureSkipVerify: true}, "need SSL"},
		{"roots without ssl", postgres.Config{RootCAs: x509.NewCertPool()}, "need SSL"},
		{"pool and host", postgres.Config{Pool: pool, Host: "db"}, "Pool is given, so [Host]"},
		{"pool and conn string", postgres.Config{Pool: pool, ConnString: "host=db"}, "ConnString"},
		{"pool and pool size", postgres.Config{Pool: pool, PoolSize: 3}, "PoolSize"},
		{"pool and read timeout", postgres.Config{Pool: pool, ReadTimeout: time.Second}, "ReadTimeout"},
		{"close pool without pool", postgres.Config{ClosePool: true}, "ClosePool needs Pool"},
		{"conn string and fields", postgres.Config{ConnString: "host=db", Username: "u", SSL: true}, "[Username SSL]"},
		{"bad conn string", postgres.Config{ConnString: "postgres://u:s3cretpw@db/x?sslmode=bogus"}, "ConnString"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := postgres.New(tc.cfg)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, postgres.ErrConfig)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "s3cretpw", "a password never reaches an error")
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	pc, err := postgres.PoolConfigOf(postgres.Config{Application: "shop"})
	require.NoError(t, err)
	cc := pc.ConnConfig
	assert.Equal(t, "127.0.0.1", cc.Host)
	assert.Equal(t, uint16(5432), cc.Port)
	assert.Equal(t, "postgres", cc.User)
	assert.Equal(t, "postgres", cc.Database)
	assert.Equal(t, "shop", cc.RuntimeParams["application_name"])
	assert.Nil(t, cc.TLSConfig, "no TLS unless SSL")
	assert.Empty(t, cc.Fallbacks)
	assert.Equal(t, postgres.DefaultConnectTimeout, cc.ConnectTimeout)
	assert.Equal(t, int32(postgres.DefaultPoolSize), pc.MaxConns)
	assert.NotNil(t, cc.BuildContextWatcherHandler, "an ended context cancels the statement on the server")
	assert.Equal(t, "5000", cc.RuntimeParams["statement_timeout"], "ReadTimeout is the server's statement_timeout")
	assert.NotNil(t, cc.DialFunc)

	s, err := postgres.New(postgres.Config{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, postgres.OwnTables, s.Mode())
}

func TestConfigFields(t *testing.T) {
	pc, err := postgres.PoolConfigOf(postgres.Config{
		Host: "db.internal", Port: 6432, Username: "app", Password: "pw", Database: "web",
		ConnectTimeout: time.Second, KeepaliveTimeout: time.Minute, PoolSize: 7,
		SSL: true, SSLInsecureSkipVerify: true,
	})
	require.NoError(t, err)
	cc := pc.ConnConfig
	assert.Equal(t, "db.internal", cc.Host)
	assert.Equal(t, uint16(6432), cc.Port)
	assert.Equal(t, "app", cc.User)
	assert.Equal(t, "pw", cc.Password)
	assert.Equal(t, "web", cc.Database)
	assert.Equal(t, time.Second, cc.ConnectTimeout)
	assert.Equal(t, time.Minute, pc.MaxConnIdleTime)
	assert.Equal(t, int32(7), pc.MaxConns)
	require.NotNil(t, cc.TLSConfig)
	assert.Equal(t, "db.internal", cc.TLSConfig.ServerName)
	assert.True(t, cc.TLSConfig.InsecureSkipVerify)
	require.Len(t, cc.Fallbacks, 1, "ssl without ssl_required falls back to a plain connection")
	assert.Nil(t, cc.Fallbacks[0].TLSConfig)

	pc, err = postgres.PoolConfigOf(postgres.Config{Host: "db", SSL: true, SSLRequired: true, ServerName: "db.example"})
	require.NoError(t, err)
	require.NotNil(t, pc.ConnConfig.TLSConfig)
	assert.False(t, pc.ConnConfig.TLSConfig.InsecureSkipVerify, "verification is on unless switched off")
	assert.Equal(t, "db.example", pc.ConnConfig.TLSConfig.ServerName)
	assert.Empty(t, pc.ConnConfig.Fallbacks, "ssl_required: TLS or nothing")
}

func TestConfigConnString(t *testing.T) {
	pc, err := postgres.PoolConfigOf(postgres.Config{ConnString: "postgres://u@db:6000/x?connect_timeout=9&pool_max_conns=3&statement_timeout=1234"})
	require.NoError(t, err)
	assert.Equal(t, "1234", pc.ConnConfig.RuntimeParams["statement_timeout"], "the string's statement_timeout stays")
	assert.Equal(t, "db", pc.ConnConfig.Host)
	assert.Equal(t, 9*time.Second, pc.ConnConfig.ConnectTimeout, "the string's own settings stay")
	assert.Equal(t, int32(3), pc.MaxConns)
	pc, err = postgres.PoolConfigOf(postgres.Config{ConnString: "postgres://u@db/x?pool_max_conns=3", PoolSize: 11, ConnectTimeout: time.Second, ReadTimeout: 2 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, "2000", pc.ConnConfig.RuntimeParams["statement_timeout"])
	assert.Equal(t, int32(11), pc.MaxConns, "pool fields beside the string override it")
	assert.Equal(t, time.Second, pc.ConnConfig.ConnectTimeout)
}

func TestEndpoint(t *testing.T) {
	s, err := postgres.New(postgres.Config{Host: "db.internal", Port: 6432})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "postgresql", s.Endpoint().System)
	assert.Equal(t, "db.internal", s.Endpoint().Address)
	assert.Equal(t, 6432, s.Endpoint().Port)

	s2, err := postgres.New(postgres.Config{Host: "/run/postgresql"})
	require.NoError(t, err)
	defer s2.Close()
	assert.Equal(t, "/run/postgresql/.s.PGSQL.5432", s2.Endpoint().Address)
	assert.Equal(t, 0, s2.Endpoint().Port)
}

func TestClose(t *testing.T) {
	s, err := postgres.New(postgres.Config{Host: "127.0.0.1", Port: 1})
	require.NoError(t, err)
	sqlstoretest.Closed(t, s)
}

// The application's pool stays open after Close unless ClosePool.
func TestCloseLeavesAppPool(t *testing.T) {
	for _, closePool := range []bool{false, true} {
		pool, err := pgxpool.New(context.Background(), "host=127.0.0.1 port=1 connect_timeout=1")
		require.NoError(t, err)
		s, err := postgres.New(postgres.Config{Pool: pool, ClosePool: closePool})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		err = pool.Ping(context.Background())
		require.Error(t, err) // nothing listens on port 1
		assert.Equal(t, closePool, strings.Contains(err.Error(), "closed pool"), "ClosePool %v: %v", closePool, err)
		pool.Close()
	}
}

// A server that is not there: New succeeds (it does not connect), calls
// fail with a connection error, not a miss.
func TestNoServer(t *testing.T) {
	s, err := postgres.New(postgres.Config{Host: "127.0.0.1", Port: 1, SweepInterval: -1})
	require.NoError(t, err)
	sqlstoretest.NoServer(t, s, "postgres")
}

func TestSchemaSQL(t *testing.T) {
	own, err := postgres.SchemaSQL(postgres.Config{Table: "app.sessions"})
	require.NoError(t, err)
	assert.Equal(t, `CREATE TABLE IF NOT EXISTS "app"."sessions" (name TEXT NOT NULL, sid TEXT NOT NULL, data BYTEA NOT NULL, exp TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (name, sid));
CREATE INDEX IF NOT EXISTS "sessions_exp_idx" ON "app"."sessions" (exp);
CREATE TABLE IF NOT EXISTS "app"."sessions_meta" (name TEXT NOT NULL, aud TEXT NOT NULL, sub TEXT NOT NULL, sid TEXT NOT NULL, PRIMARY KEY (name, aud, sub, sid), FOREIGN KEY (name, sid) REFERENCES "app"."sessions" (name, sid) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX IF NOT EXISTS "sessions_meta_name_sid_idx" ON "app"."sessions_meta" (name, sid);
`, own)

	lua, err := postgres.SchemaSQL(postgres.Config{Mode: postgres.LuaTables})
	require.NoError(t, err)
	// lua-resty-session's README, with the exp index named as PostgreSQL
	// names Lua's unnamed one.
	assert.Equal(t, `CREATE TABLE IF NOT EXISTS "sessions" (sid TEXT PRIMARY KEY, name TEXT, data TEXT, exp TIMESTAMP WITH TIME ZONE);
CREATE INDEX IF NOT EXISTS "sessions_exp_idx" ON "sessions" (exp);
CREATE TABLE IF NOT EXISTS "sessions_meta" (aud TEXT, sub TEXT, sid TEXT REFERENCES "sessions" (sid) ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY (aud, sub, sid));
`, lua)

	hostile, err := postgres.SchemaSQL(postgres.Config{Table: `x"; DROP TABLE users; --`})
	require.NoError(t, err)
	assert.Contains(t, hostile, `CREATE TABLE IF NOT EXISTS "x""; DROP TABLE users; --" (`, "quotes are doubled: the name stays one identifier")

	_, err = postgres.SchemaSQL(postgres.Config{Table: "a\x00"})
	assert.ErrorIs(t, err, postgres.ErrConfig)
	_, err = postgres.SchemaSQL(postgres.Config{Mode: 9})
	assert.ErrorIs(t, err, postgres.ErrConfig)
}

func TestStatements(t *testing.T) {
	s, err := postgres.New(postgres.Config{Table: "s"})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, []string{
		`INSERT INTO "s" (name, sid, data, exp) VALUES ($1, $2, $3, $4) ON CONFLICT (name, sid) DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp`,
	}, s.SetSQL("", false))
	assert.Equal(t, []string{
		`INSERT INTO "s" (name, sid, data, exp) VALUES ($1, $2, $3, $4) ON CONFLICT (name, sid) DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp`,
		`UPDATE "s" SET exp = LEAST(exp, $1) WHERE name = $2 AND sid = $3`,
		`DELETE FROM "s_meta" WHERE name = $1 AND sid = $2 AND (aud, sub) IN (SELECT p.a, p.s FROM unnest($3::text[], $4::text[]) AS p(a, s)) AND EXISTS (SELECT 1 FROM "s" WHERE name = $1 AND sid = $2 AND exp <= $5)`,
		`INSERT INTO "s_meta" (name, aud, sub, sid) SELECT $1, p.a, p.s, $2 FROM unnest($3::text[], $4::text[]) AS p(a, s) ON CONFLICT DO NOTHING`,
	}, s.SetSQL("stale", true))
	assert.Equal(t, []string{
		`INSERT INTO "s" (name, sid, data, exp) VALUES ($1, $2, $3, $4) ON CONFLICT (name, sid) DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp`,
		`DELETE FROM "s" WHERE name = $1 AND sid = $2`,
	}, s.SetSQL("remember", false))
	assert.Equal(t,
		`DELETE FROM "s" WHERE (name, sid) IN (SELECT name, sid FROM "s" WHERE exp < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		s.OtherSQL()["sweep"])

	lua, err := postgres.New(postgres.Config{Mode: postgres.LuaTables})
	require.NoError(t, err)
	defer lua.Close()
	assert.Equal(t, []string{
		`INSERT INTO "sessions" (name, sid, data, exp) VALUES ($1, $2, $3, $4) ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp`,
		`DELETE FROM "sessions" WHERE sid = $1`,
		`INSERT INTO "sessions_meta" (aud, sub, sid) SELECT p.a, p.s, $1 FROM unnest($2::text[], $3::text[]) AS p(a, s) ON CONFLICT DO NOTHING`,
	}, lua.SetSQL("remember", true))
	assert.Equal(t, `SELECT data FROM "sessions" WHERE sid = $1 AND exp > $2 AND data IS NOT NULL`, lua.OtherSQL()["get"])
}

func TestObjectName(t *testing.T) {
	assert.Equal(t, "sessions_exp_idx", postgres.ObjectName("sessions", "exp", "idx"))
	long := strings.Repeat("t", 70)
	got := postgres.ObjectName(long, "exp", "idx")
	assert.Len(t, got, 63, "PostgreSQL's NAMEDATALEN-1")
	assert.Equal(t, strings.Repeat("t", 55)+"_exp_idx", got)
	// The longer name loses characters first, at a character boundary.
	got = postgres.ObjectName(strings.Repeat("é", 40), "name_sid", "idx")
	assert.LessOrEqual(t, len(got), 63)
	assert.True(t, strings.HasSuffix(got, "_name_sid_idx"))
	assert.Equal(t, strings.Repeat("é", 25)+"_name_sid_idx", got)
}

func TestTimeClamps(t *testing.T) {
	now := time.Unix(1700000000, 0)
	assert.Equal(t, now, postgres.PgTime(now))
	far := time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.True(t, postgres.PgTime(far).Before(far))
	assert.True(t, postgres.PgTime(far).After(now))
	early := time.Date(-10000, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.True(t, postgres.PgTime(early).After(early))
	assert.Equal(t, postgres.PgTime(far), postgres.UnixTime(far.Unix()))
	assert.Equal(t, postgres.PgTime(early), postgres.UnixTime(early.Unix()))
	assert.Equal(t, now, postgres.UnixTime(now.Unix()))
}
