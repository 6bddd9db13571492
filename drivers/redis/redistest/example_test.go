package redistest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/drivers/redis/redistest"
	"github.com/sessionstore/sessionstore/session"
)

// A container per test: NewStorage starts Redis (or skips without Docker), builds the
// Storage and cleans both up when the test ends.
func ExampleNewStorage() {
	testLogin := func(t *testing.T) { // func TestLogin(t *testing.T) in your _test.go file
		store := redistest.NewStorage(t, redis.Config{Prefix: "myapp"})
		key := "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ" // 43-character base64url
		err := store.Set(t.Context(), "session", key, []byte("data"), time.Minute, time.Now(), session.SetOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = testLogin
}

// A Cluster of three masters with a replica each, on loopback ports of the host.
func ExampleStartCluster() {
	testCluster := func(t *testing.T) {
		cluster := redistest.StartCluster(t)
		store := redistest.NewStorage(t, redis.Config{Nodes: cluster.Addrs})
		_ = store
	}
	_ = testCluster
}

// A Sentinel failover: stop the master, and the Sentinels promote the replica.
func ExampleStartSentinel() {
	testFailover := func(t *testing.T) {
		sen := redistest.StartSentinel(t)
		store := redistest.NewStorage(t, redis.Config{Sentinels: sen.Addrs, Master: sen.Master})
		if err := sen.Primary.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		_ = store // calls fail with redis.ErrUnavailable until the replica is promoted
	}
	_ = testFailover
}

// One server shared by all tests of a package, from TestMain.
func ExampleRun() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := redistest.Run(ctx)
	if err != nil {
		fmt.Println("no redis:", err) // redistest.Unavailable(err): skip
		return
	}
	defer srv.Terminate(context.Background())
	store, err := redis.New(redis.Config{Host: srv.Host, Port: srv.Port})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
}
