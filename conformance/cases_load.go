package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sessionstore/sessionstore/session"
)

// Cases that use the index end to end or put load on the driver.

func revokeCases() []testCase {
	return []testCase{
		{name: "RevokesEverySession", fn: func(t *testing.T, e *env) {
			md := pairs(audA, subX)
			ks := []string{e.key(), e.key(), e.key()}
			for _, k := range ks {
				e.set(k, e.value(), longTTL, session.SetOptions{Metadata: md})
			}
			other, vOther := e.key(), e.value()
			e.set(other, vOther, longTTL, session.SetOptions{Metadata: pairs(audA, subY)})
			n, err := session.RevokeAll(e.ctx, e.s, cookie, audA, subX, e.now())
			if err != nil {
				t.Fatalf("contract 2.6/2.7: session.RevokeAll failed: %v", err)
			}
			if n != len(ks) {
				t.Errorf("contract 2.7: session.RevokeAll revoked %d sessions, want %d", n, len(ks))
			}
			for _, k := range ks {
				e.mustMiss("2.6", k, "session.RevokeAll deletes every session of the subject")
			}
			e.mustList("2.8", cookie, audA, subX, keys(), "after session.RevokeAll the subject has no sessions")
			e.mustGet("2.7 (session.RevokeAll leaves other subjects' sessions alone)", other, vOther)
			e.mustList("2.7", cookie, audA, subY, keys(other), "session.RevokeAll leaves other subjects' index alone")
		}},
	}
}

func concurrencyCases() []testCase {
	return []testCase{
		{name: "DistinctKeys", timed: true, heavy: true, fn: func(t *testing.T, e *env) {
			const workers, rounds = 16, 20
			var wg sync.WaitGroup
			for w := range workers {
				k := e.key()
				v := e.value()
				md := pairs(audA, fmt.Sprintf("worker-%d", w))
				wg.Go(func() {
					for r := range rounds {
						if err := e.s.Set(e.ctx, cookie, k, v, longTTL, e.now(), session.SetOptions{Metadata: md}); err != nil {
							t.Errorf("contract 2.1: concurrent Set (worker %d, round %d) failed: %v", w, r, err)
							return
						}
						got, err := e.s.Get(e.ctx, cookie, k)
						if err != nil || !bytes.Equal(got, v) {
							t.Errorf("contract 2.1: concurrent Get (worker %d, round %d) did not return the worker's own value (err %v)", w, r, err)
							return
						}
						if _, err := e.s.ReadMetadata(e.ctx, cookie, md[0].Audience, md[0].Subject, e.now()); err != nil {
							t.Errorf("contract 2.7: concurrent ReadMetadata (worker %d) failed: %v", w, err)
							return
						}
						if err := e.s.Delete(e.ctx, cookie, k, e.now(), md); err != nil {
							t.Errorf("contract 2.6: concurrent Delete (worker %d, round %d) failed: %v", w, r, err)
							return
						}
						if _, err := e.s.Get(e.ctx, cookie, k); !errors.Is(err, session.ErrNotFound) {
							t.Errorf("contract 2.6: concurrent Get after Delete (worker %d, round %d) want session.ErrNotFound, got %v", w, r, err)
							return
						}
					}
				})
			}
			wg.Wait()
		}},
	}
}
