package mysqltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

const setupTimeout = 30 * time.Second

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
	if s.admin == nil {
		t.Fatalf("mysqltest: new storage: %v", errNotStarted)
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
	store, err := mysql.New(cfg)
	if err != nil {
		t.Fatalf("mysqltest: mysql.New: %v", err)
	}
	// Registered after Database's cleanup, so it runs first: the Storage
	// closes before its tables go.
	t.Cleanup(func() {
		if err := store.Close(); err != nil && !errors.Is(err, session.ErrClosed) {
			t.Errorf("mysqltest: close storage: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := store.CreateSchema(ctx); err != nil {
		t.Fatalf("mysqltest: create schema: %v", err)
	}
	return store
}

// Database creates a database with a fresh name on s and returns the
// name; it is dropped, with everything in it, when the test ends.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	if s.admin == nil {
		t.Fatalf("mysqltest: database: %v", errNotStarted)
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	name := "mysqltest_" + hex.EncodeToString(r[:])
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	// The name is ours: letters, digits and an underscore.
	if err := s.adminExec(ctx, "CREATE DATABASE IF NOT EXISTS "+name+" CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("mysqltest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := s.adminExec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("mysqltest: drop database %s: %v", name, err)
		}
	})
	return name
}

// adminExec runs an idempotent statement, trying again a few times: after
// a test restarted the server, the first use of a pooled connection fails
// (the pool replaces it then).
func (s *Server) adminExec(ctx context.Context, stmt string) error {
	var err error
	for range 3 {
		if _, err = s.admin.ExecContext(ctx, stmt); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}
