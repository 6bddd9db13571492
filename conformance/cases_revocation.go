package conformance

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// Rounds of Revocation/ConcurrentSetRotateDelete. Each round races four
// calls on one key; a store that writes its session and index items in the
// wrong order fails some rounds in a thousand.
const (
	raceRoundsFakeClock = 1000
	raceRoundsRealClock = 300
)

func revocationCases() []testCase {
	return []testCase{
		{name: "ConcurrentSetRotateDelete", timed: true, heavy: true, fn: raceSetRotateDelete},
	}
}

// raceSetRotateDelete is contract 2.17: under any interleaving of Set,
// rotation and Delete of one key, every key that Get can return is listed,
// so that RevokeAll ends it. Each round starts four calls at once on a
// fresh key k (with k0 stored before the round):
//
//	Set(k)                  a plain write with metadata
//	Delete(k)               with metadata
//	Set(k2, OldKey: k)      a rotation away from k
//	Set(k, OldKey: k0)      a rotation onto k
//
// and then checks k, k0 and k2. The one exception of the contract, a key
// rotated away and readable for its grace period, is kept out of the check:
// with a fake clock the round's grace periods are let pass first; with the
// real clock the rotations use Remember, which deletes the old key at once.
func raceSetRotateDelete(t *testing.T, e *env) {
	rounds := raceRoundsRealClock
	remember := true
	if e.clock != nil {
		rounds, remember = raceRoundsFakeClock, false
	}
	const stale = time.Second
	md := pairs(audA, subX)
	v := e.value()
	failed := 0
	var first []string
	for r := range rounds {
		k, k0, k2 := e.key(), e.key(), e.key()
		e.set(k0, v, longTTL, session.SetOptions{Metadata: md})
		rot := func(old string) session.SetOptions {
			return session.SetOptions{OldKey: old, StaleTTL: stale, Remember: remember, Metadata: md}
		}
		calls := []func() error{
			func() error { return e.s.Set(e.ctx, cookie, k, v, longTTL, e.now(), session.SetOptions{Metadata: md}) },
			func() error { return e.s.Delete(e.ctx, cookie, k, e.now(), md) },
			func() error { return e.s.Set(e.ctx, cookie, k2, v, longTTL, e.now(), rot(k)) },
			func() error { return e.s.Set(e.ctx, cookie, k, v, longTTL, e.now(), rot(k0)) },
		}
		errs := make([]error, len(calls))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, call := range calls {
			wg.Go(func() {
				<-start
				errs[i] = call()
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("contract 2.17: round %d: concurrent call %d failed: %v", r, i, err)
			}
		}
		if e.clock != nil {
			e.advance(stale + time.Second) // rotated-away keys end their grace period
		}
		if bad := e.readableUnlisted(cookie, md[0], []string{k, k0, k2}); len(bad) > 0 {
			if failed == 0 {
				first = append(first, fmt.Sprintf("round %d: %v", r, bad))
			}
			failed++
		}
		// Keep the index small: revoke the round's sessions.
		if _, err := session.RevokeAll(e.ctx, e.s, cookie, audA, subX, e.now()); err != nil {
			t.Fatalf("RevokeAll after round %d failed: %v", r, err)
		}
	}
	if failed > 0 {
		t.Fatalf("contract 2.17: in %d of %d rounds of concurrent Set, rotation and Delete of one key, a readable session was not listed by ReadMetadata (RevokeAll would miss it), first: %v; "+
			"a store that cannot write two items at once must write the session before its index entry on Set, and remove the index entry before the session on Delete and rotation",
			failed, rounds, first)
	}
	t.Logf("contract 2.17: %d rounds of concurrent Set, rotation and Delete of one key; every readable key was listed after each", rounds)
}
