// Command quickstart stores, rotates, lists and revokes a session with the
// memory driver: the README's Go quick start, kept compiling by go vet.
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
	store := memory.New()
	defer store.Close()
	alice := []session.Pair{{Audience: "default", Subject: "alice"}}

	// Log in: store the session, indexed under (default, alice).
	check(store.Set(ctx, "session", "id-1", []byte(`{"user":"alice"}`), time.Hour, now,
		session.SetOptions{Metadata: alice}))
	// Rotate the id: id-1 keeps working for 10 s, for requests in flight.
	check(store.Set(ctx, "session", "id-2", []byte(`{"user":"alice"}`), time.Hour, now,
		session.SetOptions{OldKey: "id-1", StaleTTL: 10 * time.Second, Metadata: alice}))
	_, err := store.Get(ctx, "session", "id-1")
	fmt.Println("old id still readable:", err == nil)

	live, err := store.ReadMetadata(ctx, "session", "default", "alice", now)
	check(err)
	fmt.Println("alice's live sessions:", len(live))

	n, err := session.RevokeAll(ctx, store, "session", "default", "alice", now) // log out everywhere
	check(err)
	fmt.Println("revoked:", n)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
