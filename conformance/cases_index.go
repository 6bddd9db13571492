package conformance

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// maxIndexSize is the most bytes an index listing one key may take after
// 10,000 rotations (contract 2.12: kilobytes, not the sum of every rotation).
const maxIndexSize = 4096

// rotations is the length of the rotation chain of Index/BoundedAfterRotations.
const rotations = 10000

// concurrentWriters is how many goroutines write one index at once.
const concurrentWriters = 100

func indexCases() []testCase {
	return []testCase{
		{name: "ListsKeyWithExpiry", fn: func(t *testing.T, e *env) {
			k := e.key()
			now := e.now()
			e.setAt(now, k, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.7", cookie, audA, subX, map[string]int64{k: expiry(now, longTTL)}, "the key is listed with expiry now+ttl in whole Unix seconds")
		}},
		{name: "SeveralKeysOneSubject", fn: func(t *testing.T, e *env) {
			want := map[string]int64{}
			for _, ttl := range []time.Duration{time.Minute, 2 * time.Minute, time.Hour} {
				k := e.key()
				now := e.now()
				e.setAt(now, k, e.value(), ttl, session.SetOptions{Metadata: pairs(audA, subX)})
				want[k] = expiry(now, ttl)
			}
			e.mustList("2.7", cookie, audA, subX, want, "every session of the subject is listed with its own expiry")
		}},
		{name: "ExactPairOnly", fn: func(t *testing.T, e *env) {
			k := e.key()
			e.set(k, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX, audB, subY)})
			e.mustList("2.7", cookie, audA, subX, keys(k), "metadata (A,x),(B,y) lists the key under (A,x)")
			e.mustList("2.7", cookie, audB, subY, keys(k), "metadata (A,x),(B,y) lists the key under (B,y)")
			e.mustList("2.7", cookie, audA, subY, keys(), "metadata (A,x),(B,y) must not list the key under (A,y)")
			e.mustList("2.7", cookie, audB, subX, keys(), "metadata (A,x),(B,y) must not list the key under (B,x)")
		}},
		{name: "ExpiryRoundedUpFromFractionalNow", fn: func(t *testing.T, e *env) {
			// now is deliberately not a whole second: the listed expiry is
			// now+ttl rounded up, the fraction of now counted (contract
			// 2.18), so that it never precedes the session's end.
			now := e.now()
			if e.clock != nil {
				e.advance(700 * time.Millisecond)
				now = e.now()
			} else if now.Nanosecond() == 0 {
				now = now.Add(time.Millisecond)
			}
			k := e.key()
			e.setAt(now, k, e.value(), 90*time.Second, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.18", cookie, audA, subX, map[string]int64{k: now.Unix() + 91}, "expiry = now+ttl rounded up: a now with a fraction of a second ends a second later")
		}},
		{name: "ListedWhileReadableAtFractionalNow", timed: true, fn: func(t *testing.T, e *env) {
			// Set at T+0.5 s with ttl 10 s: at T+10.2 s the session is still
			// readable, so it must still be listed (contract 2.18; version 1
			// listed it until T+10 only, and RevokeAll missed it).
			k := e.key()
			ttl := e.shortTTL()
			md := pairs(audA, subX)
			if e.clock != nil {
				e.advance(500 * time.Millisecond)
			} else {
				e.waitUntil(e.now().Truncate(time.Second).Add(1500 * time.Millisecond))
			}
			setAt := e.now()
			e.setAt(setAt, k, e.value(), ttl, session.SetOptions{Metadata: md})
			e.waitUntil(setAt.Add(ttl - 300*time.Millisecond))
			_, err := e.s.Get(e.ctx, cookie, k)
			if e.clock != nil && err != nil {
				t.Fatalf("contract 2.3: a session is readable until its ttl has passed, got %v", err)
			}
			if err == nil { // a server counting whole seconds may have ended it
				e.mustListReadable("2.18", cookie, md[0], []string{k}, "a session readable 9.7 s into its 10 s (set at a half second) must be listed")
			}
		}},
		{name: "SubSecondTTLRoundedUp", timed: true, fn: func(t *testing.T, e *env) {
			k1, k2 := e.key(), e.key()
			if e.clock == nil {
				// Start early in a second, so that the 1 ms session is
				// still live (expiry > now) when the index is read.
				e.waitUntil(e.now().Truncate(time.Second).Add(time.Second))
			}
			now := e.now()
			e.setAt(now, k1, e.value(), 1500*time.Millisecond, session.SetOptions{Metadata: pairs(audA, subX)})
			e.setAt(now, k2, e.value(), 1*time.Millisecond, session.SetOptions{Metadata: pairs(audA, subX)})
			got := e.list(cookie, audA, subX)
			// The two Sets may straddle a second with the real clock.
			for _, c := range []struct {
				k    string
				secs int64
				ttl  string
			}{{k1, 2, "1.5s"}, {k2, 1, "1ms"}} {
				exp, ok := got[c.k]
				if !ok {
					t.Fatalf("contract 2.7: a session with ttl %s is not listed: a fraction of a second must be rounded up, never down to 0", c.ttl)
				}
				if lo := now.Unix() + c.secs; exp < lo || exp > lo+1 || (e.clock != nil && exp != lo) {
					t.Fatalf("contract 2.7: ttl %s gives expiry now%+ds, want now+%ds: a fraction of a second is rounded up", c.ttl, exp-now.Unix(), c.secs)
				}
			}
		}},
		{name: "ExpiringAtNowIsGone", timed: true, fn: func(t *testing.T, e *env) {
			k := e.key()
			ttl := e.shortTTL()
			now := e.now()
			exp := expiry(now, ttl)
			e.set(k, e.value(), ttl, session.SetOptions{Metadata: pairs(audA, subX)})
			if e.clock != nil {
				e.waitUntil(time.Unix(exp-1, 0))
			}
			e.mustList("2.8", cookie, audA, subX, map[string]int64{k: exp}, "an entry is listed while expiry > now")
			e.waitUntil(time.Unix(exp, 0))
			e.mustList("2.8", cookie, audA, subX, keys(), "an entry expiring exactly at now is gone (expiry > now, strictly)")
		}},
		{name: "ExpiredEntriesGone", timed: true, fn: func(t *testing.T, e *env) {
			k, k1 := e.key(), e.key()
			ttl := e.shortTTL()
			e.set(k, e.value(), ttl, session.SetOptions{Metadata: pairs(audA, subX)})
			e.pastTTL(ttl)
			now := e.now()
			e.setAt(now, k1, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.8", cookie, audA, subX, map[string]int64{k1: expiry(now, longTTL)}, "an expired entry is not listed; a later write to the index must not bring it back")
		}},
		{name: "RotatedKeyGone", fn: func(t *testing.T, e *env) {
			old, k := e.key(), e.key()
			e.set(old, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			now := e.now()
			e.setAt(now, k, e.value(), longTTL, session.SetOptions{OldKey: old, StaleTTL: e.staleTTL(), Metadata: pairs(audA, subX)})
			e.mustList("2.8", cookie, audA, subX, map[string]int64{k: expiry(now, longTTL)}, "a key rotated away leaves the index at once, even while it is still readable")
		}},
		{name: "DeletedKeyGone", fn: func(t *testing.T, e *env) {
			k, other := e.key(), e.key()
			e.set(k, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX, audB, subY)})
			e.set(other, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			if err := e.s.Delete(e.ctx, cookie, k, e.now(), pairs(audA, subX, audB, subY)); err != nil {
				t.Fatalf("contract 2.6: Delete with metadata failed: %v", err)
			}
			e.mustList("2.8", cookie, audA, subX, keys(other), "a key deleted with its metadata leaves the index; other keys stay")
			e.mustList("2.8", cookie, audB, subY, keys(), "a key deleted with its metadata leaves every pair's index")
		}},
		{name: "LastWriteWins", fn: func(t *testing.T, e *env) {
			k := e.key()
			e.set(k, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			now := e.now()
			e.setAt(now, k, e.value(), time.Minute, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.8", cookie, audA, subX, map[string]int64{k: expiry(now, time.Minute)}, "rewriting a key with a shorter ttl changes its expiry: the last write wins")
			now = e.now()
			e.setAt(now, k, e.value(), 2*time.Hour, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.8", cookie, audA, subX, map[string]int64{k: expiry(now, 2*time.Hour)}, "rewriting a key with a longer ttl changes its expiry: the last write wins")
		}},
		{name: "LastWriteWinsShorterExpires", timed: true, fn: func(t *testing.T, e *env) {
			k := e.key()
			ttl := e.shortTTL()
			e.set(k, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.set(k, e.value(), ttl, session.SetOptions{Metadata: pairs(audA, subX)})
			e.pastTTL(ttl)
			e.mustList("2.8", cookie, audA, subX, keys(), "a key rewritten with a shorter ttl is gone from the index after that ttl (the last write wins)")
		}},
		{name: "ItemLivesWhileKeyLives", timed: true, fn: func(t *testing.T, e *env) {
			// An index item must not take the TTL of its last write (as
			// Redis's EXPIRE on every write does): it lives while any key
			// it lists lives.
			long, short := e.key(), e.key()
			ttl := e.shortTTL()
			now := e.now()
			e.setAt(now, long, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.setAt(now, short, e.value(), ttl, session.SetOptions{Metadata: pairs(audA, subX)})
			e.pastTTL(ttl)
			e.mustList("2.12", cookie, audA, subX, map[string]int64{long: expiry(now, longTTL)}, "an index item never expires while it still lists a live key, even when a later write had a shorter ttl")
		}},
		{name: "ItemDoesNotOutliveKeys", timed: true, fn: func(t *testing.T, e *env) {
			f := e.h.Capabilities.IndexSize
			if f == nil {
				t.Skip("needs Capabilities.IndexSize")
			}
			k := e.key()
			ttl := e.shortTTL()
			e.set(k, e.value(), ttl, session.SetOptions{Metadata: pairs(audA, subX)})
			if n, err := f(e.ctx, e.raw, cookie, audA, subX); err != nil || n == 0 {
				t.Fatalf("Capabilities.IndexSize reports %d bytes (error %v) for an index that lists a live key", n, err)
			}
			e.pastTTL(2 * ttl)
			n, err := f(e.ctx, e.raw, cookie, audA, subX)
			if err != nil {
				t.Fatalf("Capabilities.IndexSize failed: %v", err)
			}
			if n != 0 {
				t.Fatalf("contract 2.12: the index item still holds %d bytes more than twice its last key's ttl after the write: it must not outlive its last live key by more than that key's own ttl", n)
			}
		}},
		{name: "PerCookieName", fn: func(t *testing.T, e *env) {
			if e.h.Capabilities.NamesShareKeys {
				t.Skip("Capabilities.NamesShareKeys: this driver keeps one index per (audience, subject) for all names (contract 2.9 does not hold)")
			}
			k1, k2 := e.key(), e.key()
			e.setNamed(cookie, k1, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.9", remember, audA, subX, keys(), "indexes are per cookie name: a session under \"session\" is not listed under \"remember\"")
			e.setNamed(remember, k2, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.9", cookie, audA, subX, keys(k1), "indexes are per cookie name")
			e.mustList("2.9", remember, audA, subX, keys(k2), "indexes are per cookie name")
		}},
		{name: "UnknownSubjectEmpty", fn: func(t *testing.T, e *env) {
			got, err := e.s.ReadMetadata(e.ctx, cookie, audA, "never-written", e.now())
			if err != nil {
				t.Fatalf("contract 2.10: ReadMetadata of a pair never written must not fail, got: %v", err)
			}
			if len(got) != 0 {
				t.Fatalf("contract 2.10: ReadMetadata of a pair never written lists %d keys, want none", len(got))
			}
			e.set(e.key(), e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustList("2.10", cookie, audA, subY, keys(), "another subject of a used audience is empty too")
		}},
		{name: "RotationWithoutMetadataCreatesNoIndex", fn: func(t *testing.T, e *env) {
			old, k := e.key(), e.key()
			e.set(old, e.value(), longTTL, session.SetOptions{})
			e.set(k, e.value(), longTTL, session.SetOptions{OldKey: old, StaleTTL: e.staleTTL()})
			for _, p := range pairs(audA, subX, audB, subY) {
				e.mustList("2.7", cookie, p.Audience, p.Subject, keys(), "a Set with an old key and no metadata indexes nothing")
				if f := e.h.Capabilities.IndexSize; f != nil {
					n, err := f(e.ctx, e.raw, cookie, p.Audience, p.Subject)
					if err != nil {
						t.Fatalf("Capabilities.IndexSize failed: %v", err)
					}
					if n != 0 {
						t.Fatalf("contract 2.7: a Set with an old key and no metadata created an index item of %d bytes", n)
					}
				}
			}
		}},
		{name: "RotationChain", timed: true, fn: func(t *testing.T, e *env) {
			k1, k2, k3 := e.key(), e.key(), e.key()
			v3 := e.value()
			md := pairs(audA, subX)
			stale := e.staleTTL()
			e.set(k1, e.value(), longTTL, session.SetOptions{Metadata: md})
			e.set(k2, e.value(), longTTL, session.SetOptions{OldKey: k1, StaleTTL: stale, Metadata: md})
			e.set(k3, v3, longTTL, session.SetOptions{OldKey: k2, StaleTTL: stale, Metadata: md})
			e.mustList("2.8", cookie, audA, subX, keys(k3), "rotation chain K1→K2→K3 lists only K3")
			e.pastTTL(stale)
			e.mustList("2.8", cookie, audA, subX, keys(k3), "rotation chain K1→K2→K3 lists only K3 after the grace period")
			e.mustMiss("2.5", k1, "K1 of the chain K1→K2→K3 is gone after the grace period")
			e.mustMiss("2.5", k2, "K2 of the chain K1→K2→K3 is gone after the grace period")
			e.mustGet("2.5 (K3 of the chain K1→K2→K3 stays)", k3, v3)
		}},
		{name: "NoLostUpdates", timed: true, heavy: true, fn: func(t *testing.T, e *env) {
			md := pairs(audA, subX)
			ks := make([]string, concurrentWriters)
			for i := range ks {
				ks[i] = e.key()
			}
			v := e.value()
			errs := make([]error, len(ks))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, k := range ks {
				wg.Go(func() {
					<-start
					errs[i] = e.s.Set(e.ctx, cookie, k, v, longTTL, e.now(), session.SetOptions{Metadata: md})
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("contract 2.11: concurrent Set #%d failed: %v", i, err)
				}
			}
			got := e.list(cookie, audA, subX)
			missing := 0
			for _, k := range ks {
				if _, ok := got[k]; !ok {
					missing++
				}
			}
			if missing > 0 || len(got) != len(ks) {
				t.Fatalf("contract 2.11: after %d concurrent Sets with the same metadata the index lists %d keys, %d of the written keys are missing (lost updates)", len(ks), len(got), missing)
			}
		}},
		{name: "DamageHidesNothing", fn: func(t *testing.T, e *env) {
			damage := e.h.DamageIndex
			if damage == nil {
				t.Skip("Harness.DamageIndex is nil: the driver keeps no raw index bytes to damage")
			}
			md := pairs(audA, subX)
			k1, k2, k3, k4 := e.key(), e.key(), e.key(), e.key()
			e.set(k1, e.value(), longTTL, session.SetOptions{Metadata: md})
			e.set(k2, e.value(), longTTL, session.SetOptions{Metadata: md}) // the writer now knows the index
			if err := damage(e.ctx, e.raw, cookie, audA, subX); err != nil {
				t.Fatalf("Harness.DamageIndex failed: %v", err)
			}
			e.set(k3, e.value(), longTTL, session.SetOptions{Metadata: md}) // written after the damage
			e.mustListDamaged("2.19", md[0], keys(k1, k2, k3), "an index damaged by a torn or foreign write hides no well-formed entry, before or after the damage")
			e.set(k4, e.value(), longTTL, session.SetOptions{Metadata: md})
			got, err := e.s.ReadMetadata(e.ctx, cookie, audA, subX, e.now())
			if err != nil {
				t.Fatalf("contract 2.19: after a read saw the damage, the next write must repair the index; ReadMetadata still fails: %v", err)
			}
			for i, k := range []string{k1, k2, k3, k4} {
				if _, ok := got[k]; !ok {
					t.Fatalf("contract 2.19: the write that repaired the index dropped the well-formed live entry of session %d", i+1)
				}
			}
			n, err := session.RevokeAll(e.ctx, e.s, cookie, audA, subX, e.now())
			if err != nil || n != 4 {
				t.Fatalf("contract 2.19: RevokeAll after the repair revoked %d sessions (error %v), want 4", n, err)
			}
		}},
		{name: "BoundedAfterRotations", timed: true, heavy: true, fn: func(t *testing.T, e *env) {
			md := pairs(audA, subX)
			v := e.value()
			prev := e.key()
			e.set(prev, v, longTTL, session.SetOptions{Metadata: md})
			for i := range rotations {
				k := e.key()
				if err := e.s.Set(e.ctx, cookie, k, v, longTTL, e.now(), session.SetOptions{OldKey: prev, StaleTTL: time.Second, Metadata: md}); err != nil {
					t.Fatalf("contract 2.12: rotation %d of %d failed: %v", i+1, rotations, err)
				}
				prev = k
			}
			e.mustList("2.12", cookie, audA, subX, keys(prev), fmt.Sprintf("after %d rotations the index lists the last key only", rotations))
			if f := e.h.Capabilities.IndexSize; f != nil {
				n, err := f(e.ctx, e.raw, cookie, audA, subX)
				if err != nil {
					t.Fatalf("Capabilities.IndexSize failed: %v", err)
				}
				if n > maxIndexSize {
					t.Fatalf("contract 2.12: after %d rotations the index item holds %d bytes, want at most %d: an index must not grow with every rotation", rotations, n, maxIndexSize)
				}
			}
		}},
	}
}
