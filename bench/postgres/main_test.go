package pgbench

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
	"github.com/sessionstore/sessionstore/internal/tripcount"
)

// EnvPostgres names the environment variable holding the connection string
// of the PostgreSQL server to benchmark against. When it is unset, the
// first benchmark starts one with pgtest (Docker; SESSIONSTORE_POSTGRES_IMAGE
// names a local image where no registry is reachable).
const EnvPostgres = "SESSIONSTORE_BENCH_POSTGRES"

// srv is the server; each store gets a schema of its own.
var srv = &sqlbench.Server{
	Env: EnvPostgres,
	Start: func(ctx context.Context) (string, func(context.Context) error, error) {
		s, err := pgtest.Run(ctx, pgtest.WithSetting("max_connections", "200"))
		if err != nil {
			return "", nil, err
		}
		return s.ConnString, s.Terminate, nil
	},
	Admin: func(url string) (sqlbench.Admin, error) {
		pool, err := pgxpool.New(context.Background(), url)
		return admin{pool}, err
	},
	SkipOrFail: pgtest.SkipOrFail,
	Create:     func(name string) string { return "CREATE SCHEMA " + pgx.Identifier{name}.Sanitize() },
	Drop:       func(name string) string { return "DROP SCHEMA " + pgx.Identifier{name}.Sanitize() + " CASCADE" },
}

type admin struct{ pool *pgxpool.Pool }

func (a admin) Exec(stmt string) error {
	_, err := a.pool.Exec(context.Background(), stmt)
	return err
}

func (a admin) Close() error {
	if a.pool != nil {
		a.pool.Close()
	}
	return nil
}

func TestMain(m *testing.M) { os.Exit(srv.Main(m)) }

// poolSize is every store's connection cap.
const poolSize = 8

// countedPool is a pool on the server whose round trips are counted, with
// search_path set to schema (scs's pgxstore names its table "sessions",
// unqualified). It is closed at cleanup.
func countedPool(tb testing.TB, schemaName string) (*pgxpool.Pool, *atomic.Int64) {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(srv.Addr(tb))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = poolSize
	cfg.ConnConfig.RuntimeParams["search_path"] = schemaName
	trips := new(atomic.Int64)
	cfg.ConnConfig.DialFunc = tripcount.Dial(trips)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool, trips
}
