package mysqltest

import (
	"strings"
	"testing"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/internal/containertest"
	"github.com/sessionstore/sessionstore/session"
)

// NewStorage starts a MariaDB container for the test (see Start: it skips
// without Docker) and returns Server.NewStorage on it.
func NewStorage(t testing.TB, cfg mysql.Config) *mysql.Storage {
	t.Helper()
	return Start(t).NewStorage(t, cfg)
}

// NewStorage returns a Storage on s in a database of the test's own, its
// tables created (CreateSchema), so tests sharing one server never see each
// other's sessions. At cleanup the Storage is closed and the database
// dropped with everything in it.
//
// cfg is used as given except: without DSN and Host it connects to s as
// root; an empty or unqualified Table and TableMeta are placed in the
// test's database ("sessions" becomes "<database>.sessions"). An invalid
// cfg fails the test.
func (s *Server) NewStorage(t testing.TB, cfg mysql.Config) *mysql.Storage {
	t.Helper()
	if s.db == nil {
		t.Fatal(kind.NotStarted("new storage"))
	}
	db := s.Database(t)
	if cfg.DSN == "" && cfg.Host == "" && cfg.Socket == "" {
		cfg.DSN = s.DSN
	}
	if cfg.Table == "" {
		cfg.Table = mysql.DefaultTable
	}
	if !strings.Contains(cfg.Table, ".") {
		cfg.Table = db + "." + cfg.Table
	}
	if cfg.TableMeta != "" && !strings.Contains(cfg.TableMeta, ".") {
		cfg.TableMeta = db + "." + cfg.TableMeta
	}
	return containertest.OpenStore(t, kind, "mysql", func() (*mysql.Storage, error) { return mysql.New(cfg) }, session.ErrClosed)
}

// Database creates a database with a fresh name on s and returns the
// name; it is dropped, with everything in it, when the test ends.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	// The name is ours: letters, digits and an underscore.
	return kind.Namespace(t, s.db, "database",
		func(name string) string { return "CREATE DATABASE IF NOT EXISTS " + name + " CHARACTER SET utf8mb4" },
		func(name string) string { return "DROP DATABASE IF EXISTS " + name })
}
