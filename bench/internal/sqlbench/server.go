package sqlbench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Admin runs statements as the server's administrator (the benchmark
// opens it with its driver's client).
type Admin interface {
	Exec(stmt string) error
	Close() error
}

// Server is the server a SQL driver's benchmarks run against: the one the
// environment variable Env names, else one the driver's test helper starts
// on first use (Docker). Each store gets a namespace of its own (a
// PostgreSQL schema, a MySQL database) on it.
type Server struct {
	// Env names the variable holding the address of a running server
	// (SESSIONSTORE_BENCH_POSTGRES).
	Env string
	// Start starts a server (pgtest.Run) and returns its address and how
	// to remove it.
	Start func(ctx context.Context) (addr string, terminate func(context.Context) error, err error)
	// Admin opens the admin connection on addr.
	Admin func(addr string) (Admin, error)
	// SkipOrFail is the test helper's: a skip without Docker, a failure
	// with SESSIONSTORE_REQUIRE_DOCKER=1.
	SkipOrFail func(tb testing.TB, err error)
	// Create and Drop write the statements that create and drop namespace
	// name.
	Create, Drop func(name string) string

	once      sync.Once
	addr      string
	err       error
	admin     Admin
	terminate func(context.Context) error
	seq       atomic.Int64
}

// Addr returns the server's address, starting one on first use; a test or
// benchmark without one skips (fails with SESSIONSTORE_REQUIRE_DOCKER=1).
func (s *Server) Addr(tb testing.TB) string {
	tb.Helper()
	s.once.Do(func() {
		if s.addr = os.Getenv(s.Env); s.addr == "" {
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			if s.addr, s.terminate, s.err = s.Start(ctx); s.err != nil {
				return
			}
		}
		s.admin, s.err = s.Admin(s.addr)
	})
	if s.err != nil {
		s.SkipOrFail(tb, s.err)
	}
	return s.addr
}

// Namespace creates a fresh namespace for one store and returns its name
// (no quoting needed); it is dropped at cleanup.
func (s *Server) Namespace(tb testing.TB) string {
	tb.Helper()
	s.Addr(tb)
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := fmt.Sprintf("bench_%d_%s", s.seq.Add(1), hex.EncodeToString(r[:]))
	if err := s.admin.Exec(s.Create(name)); err != nil {
		tb.Fatalf("create %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := s.admin.Exec(s.Drop(name)); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
	})
	return name
}

// Close closes the admin connection and removes a server Addr started:
// a TestMain's last step.
func (s *Server) Close() {
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if s.terminate != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.terminate(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// Main runs a benchmark package's tests and benchmarks, then Close: for
// TestMain, with os.Exit.
func (s *Server) Main(m *testing.M) int {
	defer s.Close()
	return m.Run()
}
