// Package conformance is the exported test suite of the session storage
// contract: one call checks that a driver behaves as every driver of this
// project must (the rules of section 2 of the storage contract), in the
// spirit of testing/fstest.TestFS.
//
// A driver author, ours or a third party's, adds one test to the driver's
// package:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, conformance.Harness{
//			NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
//				s := mydriver.New(mydriver.WithClock(now))
//				t.Cleanup(func() { _ = s.Close() })
//				return s
//			},
//			FakeClock: true,
//		})
//	}
//
// NewStorage is called once per subtest and must return a Storage isolated
// from every other one: a fresh in-memory store, or a networked store with
// its own key prefix. Against a server, leave FakeClock false:
//
//	var n atomic.Int64
//	srv := memcachedtest.Start(t)
//	conformance.Run(t, conformance.Harness{
//		NewStorage: func(t *testing.T, _ func() time.Time) session.Storage {
//			return memcachedtest.NewStorage(t, memcached.Config{
//				Servers: []string{srv.Addr},
//				Prefix:  fmt.Sprintf("conformance-%d", n.Add(1)),
//			})
//		},
//		Capabilities: conformance.Capabilities{MaxValueSize: 1000 * 1000, StaleMayExtend: true},
//	})
//
// # Time
//
// With FakeClock true, every subtest gets a fresh fake clock that starts at
// a whole second (FakeStart, Unix 1700000000); the driver must take every TTL decision
// from the now function it was given, and the suite moves that clock instead
// of sleeping, so the run takes well under a second. With FakeClock false the
// suite sleeps: TTLs are whole seconds with margins for servers that count in
// whole seconds (memcached), and the cases that wait run concurrently, so a
// run against a real memcached takes a few seconds. Either way the now passed
// to Set, Delete and ReadMetadata is the harness clock's now.
//
// # What it checks
//
// Every case is a named subtest, grouped by topic, and every failure message
// cites the contract rule it checks (for example "contract 2.8: ..."):
//
//	RoundTrip    2.1  exact bytes, all 256 byte values, the empty value, large values, odd keys
//	Overwrite    2.2  Set replaces value and TTL
//	Expiry       2.3  present before the TTL, gone after
//	Get          2.4  a miss matches session.ErrNotFound
//	Delete       2.6  idempotent; a deleted session is gone
//	Names        2.9, 2.20  the same key under two cookie names is two sessions; no
//	                  key or name reaches an index, no two pairs share one, any bytes in pairs
//	Rotation     2.5  stale grace period, Remember, missing old key, never extends the old key
//	Index        2.7–2.12, 2.18, 2.19  exact pairs, expiry now+ttl rounded up (a fraction
//	                  of now counted), strict filtering, last write wins, per-name isolation,
//	                  no lost updates, bounded after 10,000 rotations, damage hides nothing
//	BadInput     2.13, 2.21  each invalid argument is rejected with session.ErrInvalidArgument
//	                  (session.ErrTooLarge over the size limit) and nothing is written, ':' in
//	                  any name or key included; a rejected overwrite keeps the old value; a
//	                  key too long for the backend is rejected so, or kept whole
//	Context      2.14 a cancelled or expired context is reported, wrapped
//	Errors       2.13, 2.15 no session key or value in any error; no panic
//	RevokeAll    session.RevokeAll revokes all of a subject's sessions
//	Concurrency  concurrent Set/Get/Delete on distinct keys (run with -race)
//	Revocation   2.17 rounds of concurrent Set, rotation and Delete of one key; after each,
//	             every key Get can return is listed
//	Close        2.16 Close is idempotent and every call after it matches session.ErrClosed
//
// Besides the Errors cases, every error any case sees is checked for the
// session keys and values the case used (a report of a leak names the key
// or value by number, without repeating it), and a panic in the driver fails
// the case that caused it instead of the test binary.
//
// Capabilities declares what the driver may do differently; its zero value
// is the strict contract. A driver declares its value size limit, whether a
// rotation may extend the old key's life (memcached's touch can), and, if it
// can measure it, how to read the stored size of an index. A driver that
// keeps indexes as raw bytes also gives Harness.DamageIndex, which damages
// one as a torn write would, so that the suite can check contract 2.19.
//
// With FakeClock, each subtest's clock is a driver.ManualClock starting at
// FakeStart; a driver's own tests can use the same clock.
package conformance
