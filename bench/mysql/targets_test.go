package mybench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/mysqlstore"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/internal/tripcount"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

var targets = []sqlbench.Target{
	{Name: "ours", Open: func(tb testing.TB) (sqlbench.KV, *atomic.Int64) { return openOurs(tb, mysql.OwnTables) }},
	{Name: "ours-lua", Open: func(tb testing.TB) (sqlbench.KV, *atomic.Int64) { return openOurs(tb, mysql.LuaTables) }},
	{Name: "sql", Open: openRaw},
	{Name: "mysqlstore", Open: openMysqlstore},
}

// --- ours -----------------------------------------------------------------

func openOurs(tb testing.TB, mode mysql.Mode) (sqlbench.KV, *atomic.Int64) {
	db := srv.Namespace(tb)
	cfg := serverConfig(tb, db)
	trips := new(atomic.Int64)
	s, err := mysql.New(mysql.Config{
		DSN: cfg.FormatDSN(), Mode: mode, Table: "sessions", PoolSize: poolSize,
		SweepInterval: -1, DialContext: tripcount.Dial(trips),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	if err := s.CreateSchema(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return sqlbench.Ours{S: s}, trips
}

// --- raw database/sql: the driver's statements, as an application would run them

// The driver's OwnTables statements, byte for byte (drivers/mysql's
// TestStatements shows them), with the tables in the connection's database.
const (
	rawTxnBegin = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; "
	rawUpsert   = "INSERT INTO `sessions` (name, sid, data, exp) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE data = VALUES(data), exp = VALUES(exp)"
	rawShorten  = "UPDATE `sessions` SET exp = LEAST(exp, ?) WHERE name = ? AND sid = ?"
	rawUnindex  = "DELETE FROM `sessions_meta` WHERE name = ? AND sid = ? AND (aud, sub) IN ((?, ?)) AND EXISTS (SELECT 1 FROM `sessions` WHERE name = ? AND sid = ? AND exp <= ?)"
	rawIndex    = "INSERT INTO `sessions_meta` (name, aud, sub, sid) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE sid = sid"
	rawGet      = "SELECT data FROM `sessions` WHERE name = ? AND sid = ? AND exp > ?"
	rawRead     = "SELECT m.sid, s.exp FROM `sessions_meta` AS m JOIN `sessions` AS s ON s.name = m.name AND s.sid = m.sid WHERE m.name = ? AND m.aud = ? AND m.sub = ? AND s.exp > ?"

	rawSetIndexed = rawTxnBegin + rawUpsert + "; " + rawIndex + "; COMMIT"
	rawRotate     = rawTxnBegin + rawUpsert + "; " + rawShorten + "; " + rawUnindex + "; " + rawIndex + "; COMMIT"
)

type rawKV struct{ db *sql.DB }

var cookie = []byte(sqlbench.CookieName)

// rawConfig is the connection configuration the driver makes (one query
// per operation, values escaped into it, strict mode, utf8mb4), without
// the driver.
func rawConfig(tb testing.TB, db string, trips *atomic.Int64) *gomysql.Config {
	cfg := serverConfig(tb, db)
	cfg.InterpolateParams = true
	cfg.MultiStatements = true
	cfg.Params = map[string]string{"sql_mode": "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'", "innodb_lock_wait_timeout": "5"}
	if err := cfg.Apply(gomysql.Charset("utf8mb4", "")); err != nil {
		tb.Fatal(err)
	}
	cfg.DialFunc = tripcount.Dial(trips)
	return cfg
}

// openRaw creates the driver's own tables and runs the driver's statements
// through database/sql directly: the floor the driver's own cost is
// measured against.
func openRaw(tb testing.TB) (sqlbench.KV, *atomic.Int64) {
	name := srv.Namespace(tb)
	ddl, err := mysql.SchemaSQL(mysql.Config{Table: name + ".sessions"})
	if err != nil {
		tb.Fatal(err)
	}
	trips := new(atomic.Int64)
	db := openDB(tb, rawConfig(tb, name, trips))
	if _, err := db.Exec(ddl); err != nil {
		tb.Fatal(err)
	}
	return &rawKV{db}, trips
}

func expiry() int64 { return driver.ExpiryUnix(time.Now(), sqlbench.TTL) }

func (r *rawKV) Set(ctx context.Context, key string, v []byte) error {
	_, err := r.db.ExecContext(ctx, rawUpsert, cookie, []byte(key), v, expiry())
	return err
}

func (r *rawKV) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := r.db.QueryRowContext(ctx, rawGet, cookie, []byte(key), time.Now().Unix()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sqlbench.ErrMiss
	}
	return v, err
}

func (r *rawKV) SetIndexed(ctx context.Context, key string, v []byte, p session.Pair) error {
	k := []byte(key)
	_, err := r.db.ExecContext(ctx, rawSetIndexed, cookie, k, v, expiry(),
		cookie, sqlbench.Encode(p.Audience), sqlbench.Encode(p.Subject), k)
	return err
}

func (r *rawKV) Rotate(ctx context.Context, old, key string, v []byte, p session.Pair) error {
	k, o := []byte(key), []byte(old)
	stale := driver.ExpiryUnix(time.Now(), session.DefaultStaleTTL)
	aud, sub := sqlbench.Encode(p.Audience), sqlbench.Encode(p.Subject)
	_, err := r.db.ExecContext(ctx, rawRotate,
		cookie, k, v, expiry(),
		stale, cookie, o,
		cookie, o, aud, sub, cookie, o, stale,
		cookie, aud, sub, k)
	return err
}

func (r *rawKV) ReadMetadata(ctx context.Context, p session.Pair) (map[string]time.Time, error) {
	rows, err := r.db.QueryContext(ctx, rawRead, cookie, sqlbench.Encode(p.Audience), sqlbench.Encode(p.Subject), time.Now().Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	var (
		sid string
		exp int64
	)
	for rows.Next() {
		if err := rows.Scan(&sid, &exp); err != nil {
			return nil, err
		}
		out[sid] = time.Unix(exp, 0)
	}
	return out, rows.Err()
}

// --- alexedwards/scs mysqlstore --------------------------------------------

// openMysqlstore creates mysqlstore's table (its README's DDL) in a
// database of its own, on a pool with its README's parseTime=true and
// interpolateParams=true (one round trip per call, as ours; without it
// go-sql-driver prepares every statement: two), and no cleanup goroutine.
func openMysqlstore(tb testing.TB) (sqlbench.KV, *atomic.Int64) {
	name := srv.Namespace(tb)
	trips := new(atomic.Int64)
	cfg := serverConfig(tb, name)
	cfg.ParseTime = true
	cfg.InterpolateParams = true
	cfg.DialFunc = tripcount.Dial(trips)
	db := openDB(tb, cfg)
	for _, ddl := range []string{
		"CREATE TABLE sessions (token CHAR(43) PRIMARY KEY, data BLOB NOT NULL, expiry TIMESTAMP(6) NOT NULL)",
		"CREATE INDEX sessions_expiry_idx ON sessions (expiry)",
	} {
		if _, err := db.Exec(ddl); err != nil {
			tb.Fatal(fmt.Errorf("mysqlstore schema: %w", err))
		}
	}
	return sqlbench.SCS{S: mysqlstore.NewWithCleanupInterval(db, 0)}, trips
}
