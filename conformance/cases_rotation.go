package conformance

import (
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// staleTTL is the grace period the rotation cases use. With the real clock
// it is two seconds, for the same reason as shortTTL.
func (e *env) staleTTL() time.Duration { return e.shortTTL() }

func rotationCases() []testCase {
	return []testCase{
		{name: "StaleGracePeriod", timed: true, fn: func(t *testing.T, e *env) {
			old, k, vOld, vNew := e.key(), e.key(), e.value(), e.value()
			e.set(old, vOld, longTTL, session.SetOptions{})
			stale := e.staleTTL()
			e.set(k, vNew, longTTL, session.SetOptions{OldKey: old, StaleTTL: stale})
			e.mustGet("2.5 (the old key stays readable just after the rotation)", old, vOld)
			e.mustGet("2.5 (the new key is stored)", k, vNew)
			if e.clock != nil {
				e.advance(stale - time.Second)
				e.mustGet("2.5 (the old key stays readable for about StaleTTL)", old, vOld)
			}
			e.pastTTL(stale)
			e.mustMiss("2.5", old, "after StaleTTL the rotated-away key must be gone")
			e.mustGet("2.5 (the new key outlives the old key's grace period)", k, vNew)
		}},
		{name: "DefaultStaleTTL", timed: true, fn: func(t *testing.T, e *env) {
			old, k, vOld := e.key(), e.key(), e.value()
			e.set(old, vOld, longTTL, session.SetOptions{})
			e.set(k, e.value(), longTTL, session.SetOptions{OldKey: old})
			e.mustGet("2.5 (StaleTTL zero means session.DefaultStaleTTL: the old key stays readable)", old, vOld)
			if e.clock == nil {
				return // waiting 10 s is too long for a run against a real server
			}
			e.advance(session.DefaultStaleTTL - time.Second)
			e.mustGet("2.5 (StaleTTL zero means session.DefaultStaleTTL)", old, vOld)
			e.pastTTL(session.DefaultStaleTTL)
			e.mustMiss("2.5", old, "after session.DefaultStaleTTL the rotated-away key must be gone")
		}},
		{name: "RememberDeletesOldAtOnce", fn: func(t *testing.T, e *env) {
			old, k, vNew := e.key(), e.key(), e.value()
			e.set(old, e.value(), longTTL, session.SetOptions{})
			e.set(k, vNew, longTTL, session.SetOptions{OldKey: old, StaleTTL: e.staleTTL(), Remember: true})
			e.mustMiss("2.5", old, "with Remember the old key is deleted at once, not kept for StaleTTL")
			e.mustGet("2.5 (the new key is stored)", k, vNew)
		}},
		{name: "MissingOldKeyNotCreated", timed: true, fn: func(t *testing.T, e *env) {
			old, k, vNew := e.key(), e.key(), e.value()
			e.set(k, vNew, longTTL, session.SetOptions{OldKey: old, StaleTTL: e.staleTTL()})
			e.mustMiss("2.5", old, "rotating away from a key that does not exist must not create it")
			e.mustGet("2.5 (the new key is stored)", k, vNew)
			e.pastTTL(e.staleTTL())
			e.mustMiss("2.5", old, "rotating away from a key that does not exist must not create it")
		}},
		{name: "NeverExtendsOldKey", timed: true, fn: func(t *testing.T, e *env) {
			old, k := e.key(), e.key()
			ttl := e.shortTTL()
			stale := 3 * ttl // long enough that an extended key is still there when checked
			if e.h.Capabilities.StaleMayExtend {
				stale = ttl + ttl/2 // keeps the wait short
			}
			e.set(old, e.value(), ttl, session.SetOptions{})
			e.set(k, e.value(), longTTL, session.SetOptions{OldKey: old, StaleTTL: stale})
			if e.h.Capabilities.StaleMayExtend {
				// The driver may extend up to StaleTTL, never beyond.
				e.pastTTL(stale)
				e.mustMiss("2.5", old, "with Capabilities.StaleMayExtend a rotation may keep the old key for StaleTTL, but not longer")
				return
			}
			e.pastTTL(ttl)
			e.mustMiss("2.5", old, "a rotation with a StaleTTL longer than the old key's remaining TTL must not extend the old key's life (declare Capabilities.StaleMayExtend if the driver does)")
		}},
		{name: "NewKeyHasItsOwnTTL", timed: true, fn: func(t *testing.T, e *env) {
			old, k := e.key(), e.key()
			ttl := e.shortTTL()
			e.set(old, e.value(), longTTL, session.SetOptions{})
			e.set(k, e.value(), ttl, session.SetOptions{OldKey: old, StaleTTL: e.staleTTL()})
			e.pastTTL(ttl)
			e.mustMiss("2.3/2.5", k, "the new key of a rotation expires after its own TTL")
		}},
	}
}
