package mybench

import (
	"context"
	"database/sql"
	"os"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
	"github.com/sessionstore/sessionstore/drivers/mysql/mysqltest"
)

// EnvMySQL names the environment variable holding the DSN of the server to
// benchmark against. When it is unset, the first benchmark starts one with
// mysqltest (Docker; SESSIONSTORE_MARIADB_IMAGE names a local image where
// no registry is reachable).
const EnvMySQL = "SESSIONSTORE_BENCH_MYSQL"

// srv is the server; each store gets a database of its own.
var srv = &sqlbench.Server{
	Env: EnvMySQL,
	Start: func(ctx context.Context) (string, func(context.Context) error, error) {
		s, err := mysqltest.Run(ctx, mysqltest.WithSetting("max_connections", "200"))
		if err != nil {
			return "", nil, err
		}
		return s.DSN, s.Terminate, nil
	},
	Admin: func(dsn string) (sqlbench.Admin, error) {
		db, err := sql.Open("mysql", dsn)
		return admin{db}, err
	},
	SkipOrFail: mysqltest.SkipOrFail,
	Create:     func(name string) string { return "CREATE DATABASE " + name },
	Drop:       func(name string) string { return "DROP DATABASE " + name },
}

type admin struct{ db *sql.DB }

func (a admin) Exec(stmt string) error {
	_, err := a.db.Exec(stmt)
	return err
}

func (a admin) Close() error {
	if a.db == nil {
		return nil
	}
	return a.db.Close()
}

func TestMain(m *testing.M) { os.Exit(srv.Main(m)) }

// poolSize is every store's connection cap.
const poolSize = 8

// serverConfig is go-sql-driver's configuration for the server, on
// database db.
func serverConfig(tb testing.TB, db string) *gomysql.Config {
	tb.Helper()
	cfg, err := gomysql.ParseDSN(srv.Addr(tb))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.DBName = db
	return cfg
}

// openDB opens a pool of cfg with poolSize connections, closed at cleanup.
func openDB(tb testing.TB, cfg *gomysql.Config) *sql.DB {
	tb.Helper()
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}
