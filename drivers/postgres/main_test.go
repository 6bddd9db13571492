package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
)

var b64 = base64.RawURLEncoding

// shared is the PostgreSQL container the tests share (each in schemas of
// its own); nil when it could not start (sharedErr says why).
var (
	shared    *pgtest.Server
	sharedErr error
	// admin is a pool on the shared server for the tests' own SQL.
	admin *pgxpool.Pool
)

func TestMain(m *testing.M) {
	code := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		shared, sharedErr = pgtest.Run(ctx, pgtest.WithSetting("max_connections", "300"))
		cancel()
		if shared != nil {
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := shared.Terminate(ctx); err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}()
			cfg, err := pgxpool.ParseConfig(shared.ConnString)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			cfg.MaxConns = 40
			if admin, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer admin.Close()
		}
		return m.Run()
	}()
	if code == 0 {
		// Docker's client keeps idle HTTP connections alive; they are not
		// this package's goroutines.
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// server returns the shared server's connection string, or skips (fails
// with SESSIONSTORE_REQUIRE_DOCKER=1) when there is none.
func server(t testing.TB) string {
	t.Helper()
	if shared == nil {
		pgtest.SkipOrFail(t, sharedErr)
	}
	return shared.ConnString
}

var schemaSeq atomic.Int64

// freshSchema creates a database schema of the test's own and drops it
// (with everything in it) at cleanup. It returns its name.
func freshSchema(t testing.TB) string {
	t.Helper()
	server(t)
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := fmt.Sprintf("t%d_%x", schemaSeq.Add(1), r)
	ctx := context.Background()
	_, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := admin.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE")
		require.NoError(t, err)
	})
	return name
}

// newStorage returns a Storage on the shared server, in a fresh schema
// with its tables created (unless cfg names a Table), closed at cleanup.
// Without Pool and ConnString it connects with the server's string.
func newStorage(t testing.TB, cfg postgres.Config) *postgres.Storage {
	t.Helper()
	s, _ := newStorageSchema(t, cfg)
	return s
}

// newStorageSchema is newStorage that also returns the database schema of
// the tables ("" when cfg named them).
func newStorageSchema(t testing.TB, cfg postgres.Config) (*postgres.Storage, string) {
	t.Helper()
	url := server(t)
	schema := ""
	if cfg.Table == "" {
		schema = freshSchema(t)
		cfg.Table = schema + ".sessions"
	}
	if cfg.Pool == nil && cfg.ConnString == "" && cfg.Host == "" {
		cfg.ConnString = url
	}
	s, err := postgres.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.CreateSchema(ctx))
	return s, schema
}

// sessionKey returns a fresh 43-character base64url key, as
// lua-resty-session makes them.
func sessionKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}
