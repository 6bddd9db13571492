// Package mapdriver is a complete session.Storage driver in about 200 lines:
// Go maps behind one sync.RWMutex. It is an example for authors of
// third-party drivers, not a driver to deploy (use drivers/memory for that:
// it is sharded, capped and swept in the background).
//
// # How to write a driver
//
// A driver is a type with the five methods of session.Storage. Each method
// does three things, in this order:
//
//  1. Plan: a driver.Planner checks the arguments (every driver must reject
//     the same inputs with the same errors, and write nothing when it does)
//     and derives what the driver needs from them: the listed expiry, the
//     rotated-away key's grace period, item names for a key-value store.
//  2. The work, as the plan says. Set stores the value for ttl, indexes the
//     key under each pair with the plan's Expiry and takes the old key out of
//     those indexes, then keeps the old key readable for the grace period
//     (or deletes it with Remember) without ever creating or lengthening
//     it. Delete is idempotent. ReadMetadata lists the keys whose expiry is
//     strictly after now. A store that cannot write several items at once
//     follows the order the plans document (session before index on Set,
//     index before session on Delete), so that a readable session is always
//     listed.
//  3. Errors: wrap the session sentinels with fmt.Errorf("…: %w", err) so
//     that errors.Is sees session.ErrNotFound and friends, and never put a
//     session key or value into an error or a log line: a session key is a
//     bearer credential.
//
// A key-value backend names its items with driver.Naming (the plans'
// Item and IndexItem methods), so that all drivers and lua-resty-session
// agree on where a session lives, and may store its indexes with the
// lua-resty-session codec of package driver.
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
// means the strict contract, which this driver meets. Close is checked to be
// idempotent and to make every later call answer session.ErrClosed.
package mapdriver
