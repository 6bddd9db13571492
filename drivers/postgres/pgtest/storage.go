package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
)

const setupTimeout = 30 * time.Second

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
	if s.admin == nil {
		t.Fatalf("pgtest: new storage: %v", errNotStarted)
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
	store, err := postgres.New(cfg)
	if err != nil {
		t.Fatalf("pgtest: postgres.New: %v", err)
	}
	// Registered after Schema's cleanup, so it runs first: the Storage
	// closes before its tables go.
	t.Cleanup(func() {
		if err := store.Close(); err != nil && !errors.Is(err, session.ErrClosed) {
			t.Errorf("pgtest: close storage: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := store.CreateSchema(ctx); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	return store
}

// Schema creates a database schema with a fresh name on s and returns the
// name; it is dropped, with everything in it, when the test ends.
func (s *Server) Schema(t testing.TB) string {
	t.Helper()
	if s.admin == nil {
		t.Fatalf("pgtest: schema: %v", errNotStarted)
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	name := "pgtest_" + hex.EncodeToString(r[:])
	ident := pgx.Identifier{name}.Sanitize()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := s.adminExec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := s.adminExec(ctx, "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return name
}

// adminExec runs an idempotent statement, trying again a few times: after
// a test restarted the server, the first use of a pooled connection fails
// (the pool replaces it then).
func (s *Server) adminExec(ctx context.Context, sql string) error {
	var err error
	for range 3 {
		if _, err = s.admin.Exec(ctx, sql); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}
