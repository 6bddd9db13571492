package mysql_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/drivers/mysql/mysqltest"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
	"github.com/sessionstore/sessionstore/session"
)

func TestRestartUnderLoad(t *testing.T) {
	server(t) // skips (or fails) without Docker, like the rest
	srv := mysqltest.Start(t)
	store := srv.NewStorage(t, mysql.Config{PoolSize: 4, ConnectTimeout: 2 * time.Second})
	sqlstoretest.RestartUnderLoad(t, harness, sqlstoretest.Restartable{Store: store, Stop: srv.Stop, Start: srv.Start})
}

// lockRow holds the row lock of key in db.sessions (OwnTables, name
// "session") in a transaction of the admin pool until the returned release
// runs (cleanup runs it too).
func lockRow(t *testing.T, db, key string) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := admin.BeginTx(ctx, nil)
	require.NoError(t, err)
	var one int
	require.NoError(t, tx.QueryRowContext(ctx, "SELECT 1 FROM "+db+".sessions WHERE name = 'session' AND sid = ? FOR UPDATE", []byte(key)).Scan(&one))
	var once sync.Once
	release = func() { once.Do(func() { _ = tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// waiting counts the statements of db's connections (Database: db) that
// are running on the server.
func waiting(t *testing.T, db string) int {
	t.Helper()
	var n int
	require.NoError(t, admin.QueryRow("SELECT count(*) FROM information_schema.processlist WHERE db = ? AND command = 'Query'", db).Scan(&n))
	return n
}

// The Storage's only connection waits on a row lock (database/sql has no
// way to take a connection of another's pool).
func TestPoolExhausted(t *testing.T) {
	db := freshDatabase(t)
	store := newStorage(t, mysql.Config{Host: shared.Host, Port: shared.Port, Database: db, Table: "sessions", PoolSize: 1, ReadTimeout: time.Minute})
	sqlstoretest.PoolExhausted(t, store, func(t *testing.T) func() {
		ctx := context.Background()
		blocked := sessionKey()
		require.NoError(t, store.Set(ctx, "session", blocked, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
		release := lockRow(t, db, blocked)
		done := make(chan error, 1)
		go func() { done <- store.Delete(ctx, "session", blocked, time.Now(), nil) }()
		sqlstoretest.WaitFor(t, func() bool { return waiting(t, db) == 1 }, "the Delete holds the only connection")
		return func() {
			release()
			require.NoError(t, <-done)
		}
	})
}

// An ended context makes the driver KILL QUERY: without it, the server
// would run the rest of the query, COMMIT included, once the lock is free.
func TestStatementExceedsDeadline(t *testing.T) {
	db := freshDatabase(t)
	// A lock wait far longer than WaitFor's minute: only the KILL can end
	// the statement in time.
	store := newStorage(t, mysql.Config{Host: shared.Host, Port: shared.Port, Database: db, Table: "sessions", ReadTimeout: 10 * time.Minute})
	sqlstoretest.StatementExceedsDeadline(t, store, sqlstoretest.Locks{
		Lock:    func(t *testing.T, key string) func() { return lockRow(t, db, key) },
		Waiting: func(t *testing.T) int { return waiting(t, db) },
	})
}

// ReadTimeout is the server's innodb_lock_wait_timeout (rounded up to 1
// s): ER_LOCK_WAIT_TIMEOUT, 1205.
func TestOwnTimeout(t *testing.T) {
	store, db := newStorageDB(t, mysql.Config{ReadTimeout: 500 * time.Millisecond})
	sqlstoretest.OwnTimeout(t, store, func(t *testing.T, key string) func() { return lockRow(t, db, key) }, mysql.ErrTimeout, "1205")
}
