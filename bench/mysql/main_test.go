package mybench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/drivers/mysql/mysqltest"
)

// EnvMySQL names the environment variable holding the DSN of the server to
// benchmark against. When it is unset, the first benchmark starts one with
// mysqltest (Docker; SESSIONSTORE_MARIADB_IMAGE names a local image where
// no registry is reachable).
const EnvMySQL = "SESSIONSTORE_BENCH_MYSQL"

var (
	srvOnce sync.Once
	srvDSN  string
	srvErr  error
	started *mysqltest.Server
	adminDB *sql.DB
	dbSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if adminDB != nil {
		_ = adminDB.Close()
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

// server returns the DSN of the server, starting one on first use; a test
// or benchmark without one skips (fails with SESSIONSTORE_REQUIRE_DOCKER=1).
func server(tb testing.TB) string {
	tb.Helper()
	srvOnce.Do(func() {
		if srvDSN = os.Getenv(EnvMySQL); srvDSN == "" {
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			started, srvErr = mysqltest.Run(ctx, mysqltest.WithSetting("max_connections", "200"))
			if srvErr != nil {
				return
			}
			srvDSN = started.DSN
		}
		adminDB, srvErr = sql.Open("mysql", srvDSN)
	})
	if srvErr != nil {
		mysqltest.SkipOrFail(tb, srvErr)
	}
	return srvDSN
}

// database creates a fresh database for one store and returns its name;
// it is dropped at cleanup.
func database(tb testing.TB) string {
	tb.Helper()
	server(tb)
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := fmt.Sprintf("bench_%d_%s", dbSeq.Add(1), hex.EncodeToString(r[:]))
	if _, err := adminDB.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := adminDB.Exec("DROP DATABASE " + name); err != nil {
			tb.Errorf("drop database: %v", err)
		}
	})
	return name
}

// poolSize is every store's connection cap.
const poolSize = 8

// serverConfig is go-sql-driver's configuration for the server, on
// database db.
func serverConfig(tb testing.TB, db string) *gomysql.Config {
	tb.Helper()
	cfg, err := gomysql.ParseDSN(server(tb))
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
