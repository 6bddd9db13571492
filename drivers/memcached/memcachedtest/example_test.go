package memcachedtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/session"
)

// A container per test: NewStorage starts memcached (or skips without Docker), builds the
// Storage and cleans both up when the test ends.
func ExampleNewStorage() {
	testLogin := func(t *testing.T) { // func TestLogin(t *testing.T) in your _test.go file
		store := memcachedtest.NewStorage(t, memcached.Config{Prefix: "myapp"})
		key := "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ" // 43-character base64url
		err := store.Set(t.Context(), "session", key, []byte("data"), time.Minute, time.Now(), session.SetOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = testLogin
}

// A fault test: stop the server under a live Storage, then bring it back on the same address.
func ExampleServer_Stop() {
	testOutage := func(t *testing.T) {
		srv := memcachedtest.Start(t)
		store := memcachedtest.NewStorage(t, memcached.Config{Servers: []string{srv.Addr}})
		if err := srv.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Get(t.Context(), "session", "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ"); err == nil {
			t.Fatal("want an error while memcached is down")
		}
		if err := srv.Start(t.Context()); err != nil { // same Addr, empty server
			t.Fatal(err)
		}
	}
	_ = testOutage
}

// One container shared by all tests of a package, from TestMain.
func ExampleRun() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := memcachedtest.Run(ctx, memcachedtest.WithArgs("-I", "2m"))
	if err != nil {
		fmt.Println("no memcached:", err) // errors.Is(err, memcachedtest.ErrNoDocker): skip
		return
	}
	defer srv.Terminate(context.Background())
	store, err := memcached.New(memcached.Config{Servers: []string{srv.Addr}, MaxValueSize: 2 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	// ... os.Exit(m.Run()) ...
}
