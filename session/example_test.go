package session_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

func ExampleRevokeAll() {
	ctx := context.Background()
	store := memory.New()
	defer store.Close()

	now := time.Now()
	alice := []session.Pair{{Audience: "default", Subject: "alice"}}
	for _, key := range []string{"laptop", "phone", "tablet"} {
		_ = store.Set(ctx, "session", key, []byte("…"), time.Hour, now, session.SetOptions{Metadata: alice})
	}

	// Log alice out everywhere.
	n, err := session.RevokeAll(ctx, store, "session", "default", "alice", now)
	fmt.Println(n, err)
	_, err = store.Get(ctx, "session", "phone")
	fmt.Println(errors.Is(err, session.ErrNotFound))
	// Output:
	// 3 <nil>
	// true
}

// ExampleStorage stores a session, reads it, rotates its key and lists the
// subject's live sessions, with the memory driver; every driver behaves the
// same.
func ExampleStorage() {
	ctx := context.Background()
	var store session.Storage = memory.New()
	defer store.Close()

	now := time.Unix(1700000000, 0)
	alice := []session.Pair{{Audience: "default", Subject: "alice"}}

	// Log in: store the session under its key, indexed for alice.
	err := store.Set(ctx, "session", "key-1", []byte(`{"user":"alice"}`), time.Hour, now,
		session.SetOptions{Metadata: alice})
	fmt.Println("set:", err)

	value, err := store.Get(ctx, "session", "key-1")
	fmt.Println("get:", string(value), err)

	// Rotate the session id: key-1 stays readable for StaleTTL, for requests
	// already in flight, and leaves alice's index at once.
	err = store.Set(ctx, "session", "key-2", value, time.Hour, now,
		session.SetOptions{OldKey: "key-1", StaleTTL: 10 * time.Second, Metadata: alice})
	fmt.Println("rotate:", err)
	_, err = store.Get(ctx, "session", "key-1")
	fmt.Println("old key during the grace period:", err)

	live, err := store.ReadMetadata(ctx, "session", "default", "alice", now)
	for _, key := range slices.Sorted(maps.Keys(live)) {
		fmt.Println("live:", key, "until", live[key].UTC().Format(time.RFC3339))
	}
	fmt.Println("read metadata:", err)
	// Output:
	// set: <nil>
	// get: {"user":"alice"} <nil>
	// rotate: <nil>
	// old key during the grace period: <nil>
	// live: key-2 until 2023-11-14T23:13:20Z
	// read metadata: <nil>
}
