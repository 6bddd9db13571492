package conformance

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// FakeStart is where every subtest's fake clock starts (Harness.FakeClock):
// a whole second, so that expiries computed from it are exact.
var FakeStart = time.Unix(1700000000, 0)

// Harness tells Run how to build the driver under test.
type Harness struct {
	// NewStorage returns a Storage for one subtest, isolated from every
	// other (for example its own key prefix). When FakeClock is true, now is
	// a fresh fake clock for this subtest and the Storage must take every TTL
	// decision from it; otherwise now is time.Now. Closing the Storage is the
	// harness's job (t.Cleanup).
	NewStorage func(t *testing.T, now func() time.Time) session.Storage
	// FakeClock says that the Storage takes its time from now. The suite then
	// moves the clock instead of sleeping. When false the suite sleeps, with
	// whole-second TTLs and margins, and runs its cases concurrently.
	FakeClock bool
	// Capabilities declares the driver's limits and deliberate deviations.
	// The zero value is the strict contract.
	Capabilities Capabilities
	// DamageIndex, when set, damages the stored index of (name, audience,
	// subject) in s, the Storage that NewStorage returned, the way a torn or
	// foreign write would: bytes no index parser understands appended to a
	// string index, a member no writer makes added to a sorted set, or
	// whatever damage the backend allows. The suite then checks contract
	// 2.19: the damage hides no well-formed entry, and the next write
	// repairs the index without dropping one. Drivers whose index cannot be
	// damaged from outside (maps in memory, tables with constraints) leave
	// it nil and the case is skipped.
	DamageIndex func(ctx context.Context, s session.Storage, name, audience, subject string) error
}

// Capabilities declares what a driver may do differently from the strict
// contract. Every zero value means the strict contract.
type Capabilities struct {
	// MaxValueSize is the largest value the driver accepts, in bytes; zero
	// means unlimited. The suite stores a value of exactly this size and
	// expects one byte more to fail with session.ErrTooLarge.
	MaxValueSize int
	// StaleMayExtend allows a rotation to extend the old key's life up to
	// StaleTTL (memcached's touch sets the expiry, it cannot only shorten it).
	StaleMayExtend bool
	// IndexSize, when set, returns the stored size in bytes of the index of
	// (name, audience, subject) in s, the Storage that NewStorage returned.
	// The suite uses it to check that an index stays small and does not
	// outlive its keys (contract 2.12). A driver that frees expired index
	// data in the background (a SQL driver's sweeper) runs that cleanup
	// first: the rule is about what the driver keeps, not about when a
	// timer fires.
	IndexSize func(ctx context.Context, s session.Storage, name, audience, subject string) (int, error)
	// TextValues declares a driver that keeps values in a text column (a
	// table shared with lua-resty-session, whose data column is TEXT): a
	// value that is not valid UTF-8 is rejected with an error matching
	// session.ErrInvalidArgument that names the value, and nothing is
	// written. The binary round trip then checks that rejection instead.
	TextValues bool
	// NamesShareKeys declares a driver that does not keep sessions and
	// indexes apart by cookie name (lua-resty-session's SQL tables key rows
	// by sid alone and have no name in the index table), so contract 2.9
	// does not hold: the cases that check it are skipped, saying so.
	NamesShareKeys bool
	// RestrictedKeys declares a driver that rejects some keys other drivers
	// store (lua-resty-session's MySQL sid column is CHAR(43) ASCII): a key
	// the suite uses beyond 43 base64url characters may then be rejected
	// with an error matching session.ErrInvalidArgument that names the key,
	// with nothing written, instead of being stored.
	RestrictedKeys bool
}

// Run runs the whole conformance suite against the driver h builds. Every
// case is a named subtest, grouped by topic ("Index/ExactPairOnly"), and
// every failure message cites the rule of the storage contract it checks.
//
// With the real clock, the groups run concurrently and so do the timed cases
// of a group, each on its own Storage. The load cases run one at a
// time; the heaviest issues 100 calls at once against one Storage, so a
// driver with a connection pool needs room for that (pool size plus backlog)
// plus a few calls of the other cases.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewStorage == nil {
		t.Fatal("conformance: Harness.NewStorage is nil")
	}
	var heavy sync.Mutex
	runCase := func(t *testing.T, c testCase) {
		t.Run(c.name, func(t *testing.T) {
			if c.heavy {
				// One load test at a time, so that a driver's connection
				// pool is not overrun by the suite itself.
				heavy.Lock()
				defer heavy.Unlock()
			}
			c.fn(t, newEnv(t, h))
		})
	}
	if h.FakeClock {
		for _, g := range groups() {
			t.Run(g.name, func(t *testing.T) {
				for _, c := range g.cases {
					runCase(t, c)
				}
			})
		}
		return
	}
	// With the real clock, the groups and the timed cases within a group run
	// at once (t.Run may be called from several goroutines; t.Parallel would
	// be capped at GOMAXPROCS), so the run takes about as long as its
	// longest wait, not the sum of them.
	var groupsWG sync.WaitGroup
	for _, g := range groups() {
		groupsWG.Go(func() {
			t.Run(g.name, func(t *testing.T) {
				var wg sync.WaitGroup
				for _, c := range g.cases {
					if c.timed {
						wg.Go(func() { runCase(t, c) })
					} else {
						runCase(t, c)
					}
				}
				wg.Wait()
			})
		})
	}
	groupsWG.Wait()
}

type group struct {
	name  string
	cases []testCase
}

type testCase struct {
	name string
	// timed cases wait for TTLs to pass, or are slow; with the real clock
	// they run concurrently.
	timed bool
	// heavy cases put load on the driver; they run one at a time.
	heavy bool
	fn    func(t *testing.T, e *env)
}

func groups() []group {
	return []group{
		{"RoundTrip", roundTripCases()},
		{"Overwrite", overwriteCases()},
		{"Expiry", expiryCases()},
		{"Get", getCases()},
		{"Delete", deleteCases()},
		{"Names", nameCases()},
		{"Rotation", rotationCases()},
		{"Index", indexCases()},
		{"BadInput", badInputCases()},
		{"Context", contextCases()},
		{"Errors", errorCases()},
		{"RevokeAll", revokeCases()},
		{"Concurrency", concurrencyCases()},
		{"Revocation", revocationCases()},
		{"Close", closeCases()},
	}
}
