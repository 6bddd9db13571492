package pgbench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
)

// EnvPostgres names the environment variable holding the connection string
// of the PostgreSQL server to benchmark against. When it is unset, the
// first benchmark starts one with pgtest (Docker; SESSIONSTORE_POSTGRES_IMAGE
// names a local image where no registry is reachable).
const EnvPostgres = "SESSIONSTORE_BENCH_POSTGRES"

var (
	srvOnce    sync.Once
	srvURL     string
	srvErr     error
	started    *pgtest.Server
	adminPool  *pgxpool.Pool
	schemaSeqN atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if adminPool != nil {
		adminPool.Close()
	}
	if started != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := started.Terminate(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		cancel()
	}
	os.Exit(code)
}

// server returns the connection string of the server, starting one on
// first use; a test or benchmark without one skips (fails with
// SESSIONSTORE_REQUIRE_DOCKER=1).
func server(tb testing.TB) string {
	tb.Helper()
	srvOnce.Do(func() {
		if srvURL = os.Getenv(EnvPostgres); srvURL == "" {
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			started, srvErr = pgtest.Run(ctx, pgtest.WithSetting("max_connections", "200"))
			if srvErr != nil {
				return
			}
			srvURL = started.ConnString
		}
		adminPool, srvErr = pgxpool.New(context.Background(), srvURL)
	})
	if srvErr != nil {
		pgtest.SkipOrFail(tb, srvErr)
	}
	return srvURL
}

// schema creates a fresh database schema for one store and returns its
// name; it is dropped at cleanup.
func schema(tb testing.TB) string {
	tb.Helper()
	server(tb)
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := fmt.Sprintf("bench_%d_%s", schemaSeqN.Add(1), hex.EncodeToString(r[:]))
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := adminPool.Exec(context.Background(), "CREATE SCHEMA "+ident); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := adminPool.Exec(context.Background(), "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	return name
}

// tripConn counts round trips: a read that follows a write is the answer
// to one.
type tripConn struct {
	net.Conn
	trips *atomic.Int64
	wrote atomic.Bool
}

func (c *tripConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}

func (c *tripConn) Read(p []byte) (int, error) {
	if c.wrote.Swap(false) {
		c.trips.Add(1)
	}
	return c.Conn.Read(p)
}

// poolSize is every store's connection cap.
const poolSize = 8

// countedPool is a pool on the server whose round trips are counted, with
// search_path set to schema (scs's pgxstore names its table "sessions",
// unqualified). It is closed at cleanup.
func countedPool(tb testing.TB, schemaName string) (*pgxpool.Pool, *atomic.Int64) {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(server(tb))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = poolSize
	cfg.ConnConfig.RuntimeParams["search_path"] = schemaName
	trips := new(atomic.Int64)
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tripConn{Conn: c, trips: trips}, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool, trips
}
