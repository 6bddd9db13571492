package mapdriver_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionstore/sessionstore/examples/mapdriver"
	"github.com/sessionstore/sessionstore/session"
)

func Example() {
	ctx := context.Background()
	store := mapdriver.New(nil)
	defer store.Close()
	now := time.Now()
	alice := []session.Pair{{Audience: "default", Subject: "alice"}}

	// Log in: store the session and index it under alice.
	if err := store.Set(ctx, "session", "key-1", []byte(`{"user":"alice"}`), time.Hour, now,
		session.SetOptions{Metadata: alice}); err != nil {
		fmt.Println(err)
		return
	}
	// Rotate the id: key-1 stays readable for the grace period.
	if err := store.Set(ctx, "session", "key-2", []byte(`{"user":"alice"}`), time.Hour, now,
		session.SetOptions{OldKey: "key-1", StaleTTL: 10 * time.Second, Metadata: alice}); err != nil {
		fmt.Println(err)
		return
	}
	_, err := store.Get(ctx, "session", "key-1")
	fmt.Println("old key readable during the grace period:", err == nil)

	live, _ := store.ReadMetadata(ctx, "session", "default", "alice", now)
	fmt.Println("alice's live sessions:", len(live))

	// Log out everywhere.
	n, _ := session.RevokeAll(ctx, store, "session", "default", "alice", now)
	_, err = store.Get(ctx, "session", "key-2")
	fmt.Println("revoked:", n, "found after revoke:", !errors.Is(err, session.ErrNotFound))

	// Bad input is an error that names the argument, never its value.
	err = store.Set(ctx, "session", "key-3", nil, 0, now, session.SetOptions{})
	fmt.Println(err)
	// Output:
	// old key readable during the grace period: true
	// alice's live sessions: 1
	// revoked: 1 found after revoke: false
	// mapdriver: set: session: invalid ttl: must be positive
}
