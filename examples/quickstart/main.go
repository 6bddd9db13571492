// Command quickstart stores a session, rotates its id, lists and revokes the
// user's sessions with the memory driver: the README's quick start, which a
// test keeps identical to this file.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

func main() {
	ctx, now := context.Background(), time.Now()
	store := memory.New() // or memcached.New, redis.New, postgres.New, mysql.New
	defer store.Close()
	alice := []session.Pair{{Audience: "default", Subject: "alice"}}

	// Log in: store the session, indexed under (default, alice).
	err := store.Set(ctx, "session", "id-1", []byte(`{"user":"alice"}`), time.Hour, now,
		session.SetOptions{Metadata: alice})
	if err != nil {
		log.Fatal(err)
	}
	// Rotate the id: id-1 keeps working for 10 s, for requests in flight.
	err = store.Set(ctx, "session", "id-2", []byte(`{"user":"alice"}`), time.Hour, now,
		session.SetOptions{OldKey: "id-1", StaleTTL: 10 * time.Second, Metadata: alice})
	if err != nil {
		log.Fatal(err)
	}
	live, err := store.ReadMetadata(ctx, "session", "default", "alice", now)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice's live sessions:", len(live)) // 1: id-2

	n, err := session.RevokeAll(ctx, store, "session", "default", "alice", now) // log out everywhere
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked:", n)
}
