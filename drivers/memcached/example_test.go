package memcached_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// ExampleNew connects to two memcached servers (keys spread by consistent
// hashing) and stores, rotates and lists a session. It needs running
// servers, so it has no checked output.
func ExampleNew() {
	store, err := memcached.New(memcached.Config{
		Prefix:      "sessions",
		Servers:     []string{"10.0.0.1:11211", "10.0.0.2:11211"},
		ReadTimeout: 500 * time.Millisecond,
		PoolSize:    50,
	})
	if err != nil {
		log.Fatal(err) // an invalid Config: New does not connect
	}
	defer store.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := time.Now()
	md := []session.Pair{{Audience: "default", Subject: "john"}}
	oldKey, newKey := "kQ3X…43 characters…", "p9Zs…43 characters…"
	if err := store.Set(ctx, "session", newKey, []byte(`["…"]`), time.Hour, now,
		session.SetOptions{OldKey: oldKey, StaleTTL: 10 * time.Second, Metadata: md}); err != nil {
		log.Print(err)
	}
	live, err := store.ReadMetadata(ctx, "session", "default", "john", now)
	if err != nil {
		log.Print(err)
	}
	fmt.Println(len(live), "live sessions")
}

// ExampleNew_invalidConfig shows that New reports a bad configuration
// without touching the network.
func ExampleNew_invalidConfig() {
	_, err := memcached.New(memcached.Config{Socket: "/run/memcached.sock", Servers: []string{"10.0.0.1:11211"}})
	fmt.Println(errors.Is(err, memcached.ErrConfig))
	fmt.Println(err)
	// Output:
	// true
	// memcached: invalid configuration: Socket and Servers are mutually exclusive
}

// ExampleStorage_Endpoint shows what instrumentation learns about the
// backend.
func ExampleStorage_Endpoint() {
	store, err := memcached.New(memcached.Config{Socket: "unix:/run/memcached/memcached.sock"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Printf("%+v\n", store.Endpoint())
	// Output:
	// {System:memcached Address:/run/memcached/memcached.sock Port:0}
}
