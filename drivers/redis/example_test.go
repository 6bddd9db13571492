package redis_test

import (
	"context"
	"fmt"
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// ExampleNew connects to a Redis Cluster and stores, rotates and lists a session. It
// needs running servers, so it has no checked output.
func ExampleNew() {
	store, err := redis.New(redis.Config{
		Prefix:      "sessions",
		Nodes:       []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"},
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
	md := []session.Pair{{Audience: "default", Subject: "john"}} // stored as session:ZGVmYXVsdA:am9obg
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

// ExampleNew_sentinel follows the master that three Sentinels monitor.
func ExampleNew_sentinel() {
	store, err := redis.New(redis.Config{
		Sentinels: []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"},
		Master:    "mymaster",
		Password:  "secret",
		Database:  2,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
}

// ExampleNew_client shares the application's go-redis client; the Storage leaves it open.
func ExampleNew_client() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()
	store, err := redis.New(redis.Config{Client: rdb, Prefix: "sessions"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // rdb stays open
	fmt.Printf("%+v\n", store.Endpoint())
	// Output:
	// {System:redis Address:127.0.0.1 Port:6379}
}
