// Package mapdriver is a complete session.Storage driver in under 200 lines:
// Go maps behind one sync.RWMutex. It is an example for authors of
// third-party drivers, not a driver to deploy (use drivers/memory for that:
// it is sharded, capped and swept in the background).
//
// # How to write a driver
//
// A driver is a type with the four methods of session.Storage. Each method
// does three things, in this order:
//
//  1. session.CheckContext(ctx), then the session.Check* function of the
//     operation (CheckSet, CheckGet, CheckDelete, CheckReadMetadata), and
//     session.CheckValueSize or session.TooLarge for limits of your own.
//     Do not re-implement these rules: every driver must reject the same
//     inputs with the same errors, and write nothing when it does.
//  2. The work. Set stores the value for ttl; with SetOptions.OldKey it keeps
//     the old key readable for SetOptions.EffectiveStaleTTL() (or deletes it
//     at once when Remember is set) and never creates a missing old key; with
//     SetOptions.Metadata it records key under each (audience, subject) pair
//     with expiry session.ExpiryUnix(now, ttl), and removes OldKey from
//     those indexes. Delete is idempotent. ReadMetadata lists the keys whose
//     expiry is strictly after now.
//  3. Errors: wrap the session sentinels with fmt.Errorf("…: %w", err) so
//     that errors.Is sees session.ErrNotFound and friends, and never put a
//     session key or value into an error or a log line: a session key is a
//     bearer credential.
//
// A key-value backend names its items with session.Naming, so that all
// drivers agree on where a session lives, and may store its indexes with the
// lua-resty-session codec in package session/index.
//
// # Proving it
//
// One call runs the whole contract against a driver, in a test of your own:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Harness{
//			NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
//				s := mapdriver.New(now)
//				t.Cleanup(func() { _ = s.Close() })
//				return s
//			},
//			FakeClock: true, // the store takes every TTL decision from now
//		})
//	}
//
// NewStorage returns a store for one subtest, isolated from the others (a
// fresh map here; a key prefix of its own for a shared server). FakeClock
// says that the store reads time only through now, so the suite moves a fake
// clock instead of sleeping; a driver whose backend expires items by its own
// clock (memcached, Redis) leaves it false and the suite sleeps.
// Capabilities declare the legal differences from the strict contract: a
// value size limit (MaxValueSize), an old key whose life a rotation may
// extend (StaleMayExtend, as memcached's touch does), and a way to measure an
// index's stored size (IndexSize) for the bounded-index case. The zero value
// means the strict contract, which this driver meets. A Storage with a
// Close() error method is also checked to close idempotently and to answer
// session.ErrClosed afterwards.
package mapdriver
