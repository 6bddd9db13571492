package pgtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/drivers/postgres/pgtest"
	"github.com/sessionstore/sessionstore/session"
)

// A container per test: NewStorage starts PostgreSQL (or skips without
// Docker), creates lua-resty-session's tables in a schema of the test's own
// and cleans everything up when the test ends.
func ExampleNewStorage() {
	testLogin := func(t *testing.T) { // func TestLogin(t *testing.T) in your _test.go file
		store := pgtest.NewStorage(t, postgres.Config{Mode: postgres.LuaTables})
		key := "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ" // 43-character base64url
		err := store.Set(t.Context(), "session", key, []byte(`["data"]`), time.Minute, time.Now(), session.SetOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = testLogin
}

// One server shared by every test of a package, from TestMain; each test
// still gets tables of its own.
func ExampleRun() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := pgtest.Run(ctx, pgtest.WithSetting("max_connections", "200"))
	if err != nil {
		fmt.Println("no PostgreSQL:", err) // a test then calls pgtest.SkipOrFail(t, err)
		return
	}
	defer srv.Terminate(context.Background())
	// ... os.Exit(m.Run()), with srv.NewStorage(t, postgres.Config{}) in the tests ...
}

// A fault test: stop the server under a live Storage, then bring it back on
// the same port, with its data.
func ExampleServer_Stop() {
	testOutage := func(t *testing.T) {
		srv := pgtest.Start(t)
		store := srv.NewStorage(t, postgres.Config{})
		if err := srv.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Get(t.Context(), "session", "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ"); err == nil {
			t.Fatal("want an error while PostgreSQL is down")
		}
		if err := srv.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	_ = testOutage
}
