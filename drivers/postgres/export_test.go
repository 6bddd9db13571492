package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"
)

// Test hooks into unexported parts.

// SetSQL returns the statements of a Set: rotation is "", "stale" or
// "remember".
func (s *Storage) SetSQL(rotation string, withMetadata bool) []string {
	rot := map[string]int{"": rotNone, "stale": rotShorten, "remember": rotRemember}[rotation]
	md := 0
	if withMetadata {
		md = 1
	}
	var out []string
	for _, st := range s.st.set[rot][md] {
		out = append(out, st.SQL)
	}
	return out
}

// OtherSQL returns the statements of Get, ReadMetadata, Delete and a sweep.
func (s *Storage) OtherSQL() map[string]string {
	return map[string]string{
		"get": s.st.get.SQL, "read": s.st.readMetadata.SQL, "delete": s.st.del.SQL, "sweep": s.st.sweep.SQL,
	}
}

// Pool returns the Storage's pool.
func (s *Storage) Pool() *pgxpool.Pool { return s.pool }

var (
	ObjectName = objectName
	PgTime     = pgTime
	UnixTime   = unixTime
)

// PoolConfigOf returns the pool configuration New would build for cfg.
func PoolConfigOf(cfg Config) (*pgxpool.Config, error) {
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	return set.poolConfig, nil
}
