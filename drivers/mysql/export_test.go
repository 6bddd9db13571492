package mysql

import (
	"context"
	"database/sql"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// Test hooks into unexported parts.

// SetSQL returns the query of a Set: rotation is "", "stale" or
// "remember", with pairs index pairs.
func (s *Storage) SetSQL(rotation string, pairs int) string {
	rot := map[string]sqlstore.Rotation{"": sqlstore.RotateNone, "stale": sqlstore.RotateShorten, "remember": sqlstore.RotateRemember}[rotation]
	return s.st.setQuery(rot, pairs).SQL
}

// OtherSQL returns the statements of Get, ReadMetadata, Delete and a sweep.
func (s *Storage) OtherSQL() map[string]string {
	return map[string]string{
		"get": s.st.get.SQL, "read": s.st.readMetadata.SQL, "delete": s.st.del.SQL, "sweep": s.st.sweep.SQL,
	}
}

// QueryRowForTest runs a query on the Storage's pool, with its connection
// settings.
func QueryRowForTest(s *Storage, q string, args ...any) *sql.Row {
	return s.db.QueryRowContext(context.Background(), q, args...)
}

// ExecForTest runs a statement on the Storage's pool.
func ExecForTest(s *Storage, q string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(context.Background(), q, args...)
}

// StatsForTest returns the Storage's pool statistics.
func StatsForTest(s *Storage) sql.DBStats { return s.db.Stats() }

// ConfigOf returns go-sql-driver's configuration New would use for cfg.
func ConfigOf(cfg Config) (*gomysql.Config, error) {
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	return set.conn.my, nil
}

// PoolOf returns the pool size and idle timeout New would use for cfg.
func PoolOf(cfg Config) (int, int64, error) {
	set, err := cfg.settings()
	if err != nil {
		return 0, 0, err
	}
	return set.conn.poolSize, int64(set.conn.keepalive), nil
}

var (
	LuaTime    = luaTime
	EscapedLen = escapedLen
)
