package memory_test

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

func ExampleNew() {
	ctx := context.Background()
	store := memory.New()
	defer store.Close()

	const key = "wXc3n8gC1Q6p1Yq2p0b1zU8Dq1k3x7mJ0cRr4e5t6y7" // 43 chars, as lua-resty-session's
	if err := store.Set(ctx, "session", key, []byte(`{"user":"alice"}`), time.Hour, time.Now(), session.SetOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	value, err := store.Get(ctx, "session", key)
	fmt.Println(string(value), err)

	_, err = store.Get(ctx, "session", "no-such-key")
	fmt.Println(errors.Is(err, session.ErrNotFound))
	// Output:
	// {"user":"alice"} <nil>
	// true
}

func ExampleWithClock() {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// The sweeper calls the clock from its own goroutine; this clock is a
	// plain variable, so the example turns the sweeper off.
	store := memory.New(memory.WithClock(func() time.Time { return now }), memory.WithSweepInterval(0))
	defer store.Close()

	_ = store.Set(ctx, "session", "k1", []byte("v"), time.Minute, now, session.SetOptions{})
	_, err := store.Get(ctx, "session", "k1")
	fmt.Println("after 0s:", err)

	now = now.Add(time.Minute) // no sleeping: the Store reads the fake clock
	_, err = store.Get(ctx, "session", "k1")
	fmt.Println("after 60s:", errors.Is(err, session.ErrNotFound))
	// Output:
	// after 0s: <nil>
	// after 60s: true
}

func ExampleWithMaxEntries() {
	ctx := context.Background()
	store := memory.New(memory.WithMaxEntries(1))
	defer store.Close()

	now := time.Now()
	fmt.Println(store.Set(ctx, "session", "k1", []byte("v"), time.Hour, now, session.SetOptions{}))
	err := store.Set(ctx, "session", "k2", []byte("v"), time.Hour, now, session.SetOptions{})
	fmt.Println(errors.Is(err, session.ErrFull))
	// Output:
	// <nil>
	// true
}

func ExampleStore_ReadMetadata() {
	ctx := context.Background()
	store := memory.New()
	defer store.Close()

	now := time.Unix(1700000000, 0)
	alice := []session.Pair{{Audience: "default", Subject: "alice"}}
	_ = store.Set(ctx, "session", "laptop", []byte("v"), time.Hour, now, session.SetOptions{Metadata: alice})
	_ = store.Set(ctx, "session", "phone", []byte("v"), 2*time.Hour, now, session.SetOptions{Metadata: alice})
	// The laptop's session is rotated: the new key replaces the old one in
	// the index.
	_ = store.Set(ctx, "session", "laptop-2", []byte("v"), time.Hour, now, session.SetOptions{OldKey: "laptop", Metadata: alice})

	live, _ := store.ReadMetadata(ctx, "session", "default", "alice", now)
	for _, key := range slices.Sorted(maps.Keys(live)) {
		fmt.Println(key, live[key].Unix())
	}
	// Output:
	// laptop-2 1700003600
	// phone 1700007200
}

func ExampleStore_Close() {
	store := memory.New()
	_ = store.Close()
	_, err := store.Get(context.Background(), "session", "k1")
	fmt.Println(errors.Is(err, session.ErrClosed))
	// Output: true
}
