package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Walkthrough stores, rotates, lists and revokes sessions with the memory
// driver on a simulated clock, printing each step to w. It needs no browser
// and no waiting, and returns an error if the store does not behave as
// described, so it doubles as a smoke test.
func Walkthrough(ctx context.Context, w io.Writer) (err error) {
	// A clock that moves only when told, so the walkthrough shows a grace
	// period expiring without waiting for it.
	clock := driver.NewManualClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	store := memory.New(memory.WithClock(clock.Now))
	defer func() { err = errors.Join(err, store.Close()) }()

	const (
		name  = CookieName
		ttl   = 30 * time.Minute
		stale = 10 * time.Second
	)
	alice := []session.Pair{{Audience: DefaultAudience, Subject: "alice"}}
	ids := map[string]string{} // id -> label, so the output shows no random ids
	label := func(id string) string { return ids[id] }
	newID := func(l string) (string, error) {
		id, err := newSessionID()
		ids[id] = l
		return id, err
	}
	step := 0
	say := func(format string, args ...any) {
		step++
		fmt.Fprintf(w, "%d. [%s] %s\n", step, clock.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	expect := func(id string, want bool) error {
		_, err := store.Get(ctx, name, id)
		switch {
		case err == nil && want:
			fmt.Fprintf(w, "   Get(%s) -> found\n", label(id))
		case errors.Is(err, session.ErrNotFound) && !want:
			fmt.Fprintf(w, "   Get(%s) -> session.ErrNotFound\n", label(id))
		case err != nil && !errors.Is(err, session.ErrNotFound):
			return err
		default:
			return fmt.Errorf("walkthrough: Get(%s): found=%v, want %v", label(id), err == nil, want)
		}
		return nil
	}
	list := func(want ...string) error {
		live, err := store.ReadMetadata(ctx, name, DefaultAudience, "alice", clock.Now())
		if err != nil {
			return err
		}
		got := make([]string, 0, len(live))
		for _, id := range slices.Sorted(maps.Keys(live)) {
			got = append(got, label(id))
		}
		slices.Sort(got)
		fmt.Fprintf(w, "   ReadMetadata(alice) -> %d live: %v\n", len(got), got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("walkthrough: alice's sessions are %v, want %v", got, want)
		}
		return nil
	}
	value := []byte(`{"user":"alice"}`)
	fmt.Fprintln(w, "sessiondemo walkthrough: the memory driver on a simulated clock (no waiting)")

	laptop, err := newID("laptop#1")
	if err != nil {
		return err
	}
	say("alice logs in on her laptop: Set with metadata (default, alice), ttl %v", ttl)
	if err := store.Set(ctx, name, laptop, value, ttl, clock.Now(), session.SetOptions{Metadata: alice}); err != nil {
		return err
	}
	if err := expect(laptop, true); err != nil {
		return err
	}

	phone, err := newID("phone#1")
	if err != nil {
		return err
	}
	say("alice logs in on her phone")
	if err := store.Set(ctx, name, phone, value, ttl, clock.Now(), session.SetOptions{Metadata: alice}); err != nil {
		return err
	}
	if err := list("laptop#1", "phone#1"); err != nil {
		return err
	}

	clock.Advance(time.Minute)
	laptop2, err := newID("laptop#2")
	if err != nil {
		return err
	}
	say("the laptop's session id is due: rotate laptop#1 -> laptop#2, OldKey laptop#1, StaleTTL %v", stale)
	if err := store.Set(ctx, name, laptop2, value, ttl, clock.Now(),
		session.SetOptions{OldKey: laptop, StaleTTL: stale, Metadata: alice}); err != nil {
		return err
	}
	if err := list("laptop#2", "phone#1"); err != nil {
		return err
	}

	clock.Advance(5 * time.Second)
	say("a request still in flight with the old cookie, inside the grace period")
	if err := expect(laptop, true); err != nil {
		return err
	}

	clock.Advance(stale)
	say("the grace period is over")
	if err := expect(laptop, false); err != nil {
		return err
	}
	if err := expect(laptop2, true); err != nil {
		return err
	}

	say("alice logs out everywhere: session.RevokeAll(default, alice)")
	n, err := session.RevokeAll(ctx, store, name, DefaultAudience, "alice", clock.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   revoked %d sessions\n", n)
	for _, id := range []string{laptop2, phone} {
		if err := expect(id, false); err != nil {
			return err
		}
	}
	if err := list(); err != nil {
		return err
	}
	fmt.Fprintln(w, "done: stored, rotated with a grace period, listed and revoked.")
	return nil
}
