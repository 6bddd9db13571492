package pgtest

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/internal/containertest"
	"github.com/sessionstore/sessionstore/session"
)

// NewStorage starts a PostgreSQL container for the test (see Start: it
// skips without Docker) and returns Server.NewStorage on it.
func NewStorage(t testing.TB, cfg postgres.Config) *postgres.Storage {
	t.Helper()
	return Start(t).NewStorage(t, cfg)
}

// NewStorage returns a Storage on s in a database schema of the test's own,
// its tables created (CreateSchema), so tests sharing one server never see
// each other's sessions. At cleanup the Storage is closed and the schema
// dropped with everything in it.
//
// cfg is used as given except: without Pool, ConnString and Host it
// connects to s; an empty or unqualified Table and TableMeta are placed in
// the test's schema ("sessions" becomes "<schema>.sessions"). An invalid
// cfg fails the test.
func (s *Server) NewStorage(t testing.TB, cfg postgres.Config) *postgres.Storage {
	t.Helper()
	if s.db == nil {
		t.Fatal(kind.NotStarted("new storage"))
	}
	schema := s.Schema(t)
	if cfg.Pool == nil && cfg.ConnString == "" && cfg.Host == "" {
		cfg.ConnString = s.ConnString
	}
	if cfg.Table == "" {
		cfg.Table = postgres.DefaultTable
	}
	if !strings.Contains(cfg.Table, ".") {
		cfg.Table = schema + "." + cfg.Table
	}
	if cfg.TableMeta != "" && !strings.Contains(cfg.TableMeta, ".") {
		cfg.TableMeta = schema + "." + cfg.TableMeta
	}
	return containertest.OpenStore(t, kind, "postgres", func() (*postgres.Storage, error) { return postgres.New(cfg) }, session.ErrClosed)
}

// Schema creates a database schema with a fresh name on s and returns the
// name; it is dropped, with everything in it, when the test ends.
func (s *Server) Schema(t testing.TB) string {
	t.Helper()
	return kind.Namespace(t, s.db, "schema",
		func(name string) string { return "CREATE SCHEMA IF NOT EXISTS " + pgx.Identifier{name}.Sanitize() },
		func(name string) string {
			return "DROP SCHEMA IF EXISTS " + pgx.Identifier{name}.Sanitize() + " CASCADE"
		})
}
