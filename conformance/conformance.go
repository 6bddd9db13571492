package conformance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
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
	// foreign write would: it appends bytes no index parser understands (or
	// corrupts the item in another way the backend allows). The suite then
	// checks contract 2.19: the damage hides no well-formed entry, and the
	// next write repairs the index without dropping one. Drivers that keep
	// no raw index bytes (maps, sorted sets, tables) leave it nil and the
	// case is skipped.
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
	// The suite uses it to check that an index stays small (contract 2.12).
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

// Default names and metadata used by the cases.
const (
	cookie   = "session"
	remember = "remember"
	audA     = "audience-a"
	audB     = "audience-b"
	subX     = "subject-x"
	subY     = "subject-y"
)

// env is one subtest's world: its clock, its Storage and the secrets
// (session keys and values) that must never appear in an error.
type env struct {
	t     *testing.T
	h     Harness
	clock *driver.ManualClock // nil with the real clock
	raw   session.Storage
	s     session.Storage // raw, checked for panics and leaked secrets
	ctx   context.Context
	sec   *secrets
	old   *oldKey // the session a BadInput case rotates away from
}

// oldKey is a session stored before a rejected rotation, to check that the
// rotation left it alone.
type oldKey struct {
	key   string
	value []byte
}

func newEnv(t *testing.T, h Harness) *env {
	e := &env{t: t, h: h, ctx: t.Context(), sec: &secrets{}}
	now := time.Now
	if h.FakeClock {
		e.clock = driver.NewManualClock(FakeStart)
		now = e.clock.Now
	}
	e.raw = h.NewStorage(t, now)
	if e.raw == nil {
		t.Fatal("conformance: Harness.NewStorage returned nil")
	}
	e.s = &checked{t: t, s: e.raw, sec: e.sec}
	return e
}

// now is the harness clock's now; every now passed to the Storage is this.
func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock.Now()
	}
	return time.Now()
}

// advance lets d pass: it moves the fake clock or sleeps.
func (e *env) advance(d time.Duration) {
	if e.clock != nil {
		e.clock.Advance(d)
		return
	}
	time.Sleep(d)
}

// waitUntil lets time pass until at least tm (with the real clock, a little
// after tm so that now.Unix() is tm's second).
func (e *env) waitUntil(tm time.Time) {
	if e.clock != nil {
		e.clock.Set(tm)
		return
	}
	if d := time.Until(tm.Add(50 * time.Millisecond)); d > 0 {
		time.Sleep(d)
	}
}

// shortTTL is a TTL the suite waits out. With the real clock it is two
// seconds: memcached counts whole seconds and may expire an item up to one
// second early, so one second is too short to read the value back reliably.
func (e *env) shortTTL() time.Duration {
	if e.clock != nil {
		return 10 * time.Second
	}
	return 2 * time.Second
}

// pastTTL lets a TTL of d run out, with a margin for servers that count
// whole seconds.
func (e *env) pastTTL(d time.Duration) {
	if e.clock != nil {
		e.advance(d + time.Second)
		return
	}
	e.advance(d + 1200*time.Millisecond)
}

const longTTL = time.Hour

// key returns a fresh realistic session key: 43 characters of base64url,
// registered as a secret.
func (e *env) key() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	k := base64.RawURLEncoding.EncodeToString(b[:])
	e.sec.add(k)
	return k
}

// value returns a fresh distinctive value, registered as a secret.
func (e *env) value() []byte {
	var b [12]byte
	_, _ = rand.Read(b[:])
	v := "value-" + hex.EncodeToString(b[:])
	e.sec.add(v)
	return []byte(v)
}

func pairs(p ...string) []session.Pair {
	md := make([]session.Pair, 0, len(p)/2)
	for i := 0; i+1 < len(p); i += 2 {
		md = append(md, session.Pair{Audience: p[i], Subject: p[i+1]})
	}
	return md
}

func (e *env) set(key string, value []byte, ttl time.Duration, opts session.SetOptions) {
	e.t.Helper()
	e.setNamed(cookie, key, value, ttl, opts)
}

func (e *env) setNamed(name, key string, value []byte, ttl time.Duration, opts session.SetOptions) {
	e.t.Helper()
	e.setNamedAt(e.now(), name, key, value, ttl, opts)
}

// setAt stores with the given now, for cases that compute the listed
// expiry from it.
func (e *env) setAt(now time.Time, key string, value []byte, ttl time.Duration, opts session.SetOptions) {
	e.t.Helper()
	e.setNamedAt(now, cookie, key, value, ttl, opts)
}

func (e *env) setNamedAt(now time.Time, name, key string, value []byte, ttl time.Duration, opts session.SetOptions) {
	e.t.Helper()
	if err := e.s.Set(e.ctx, name, key, value, ttl, now, opts); err != nil {
		e.t.Fatalf("Set(name %q, ttl %v) failed: %v", name, ttl, err)
	}
}

// setOrRestricted stores key like setNamed, but with
// Capabilities.RestrictedKeys it accepts a clean rejection of the key and
// reports false (the case then checks what it can without the session).
func (e *env) setOrRestricted(rule, name, key string, value []byte, ttl time.Duration, opts session.SetOptions) bool {
	e.t.Helper()
	err := e.s.Set(e.ctx, name, key, value, ttl, e.now(), opts)
	if err == nil {
		return true
	}
	if e.h.Capabilities.RestrictedKeys {
		e.mustReject(rule, "Set", "key", err, false)
		if got, err := e.s.Get(e.ctx, name, key); err == nil {
			e.t.Fatalf("contract %s: a Set rejected for its key wrote a value (%d bytes)", rule, len(got))
		}
		return false
	}
	e.t.Fatalf("Set(name %q, ttl %v) failed: %v", name, ttl, err)
	return false
}

// mustGet asserts that key holds want.
func (e *env) mustGet(rule, key string, want []byte) {
	e.t.Helper()
	e.mustGetNamed(rule, cookie, key, want)
}

func (e *env) mustGetNamed(rule, name, key string, want []byte) {
	e.t.Helper()
	got, err := e.s.Get(e.ctx, name, key)
	if err != nil {
		e.t.Fatalf("contract %s: Get(name %q) of a stored session failed: %v", rule, name, err)
	}
	if string(got) != string(want) {
		e.t.Fatalf("contract %s: Get(name %q) returned %d bytes that differ from the %d bytes stored", rule, name, len(got), len(want))
	}
}

// mustMiss asserts that key is not found.
func (e *env) mustMiss(rule, key string, why string) {
	e.t.Helper()
	e.mustMissNamed(rule, cookie, key, why)
}

func (e *env) mustMissNamed(rule, name, key string, why string) {
	e.t.Helper()
	got, err := e.s.Get(e.ctx, name, key)
	if err == nil {
		e.t.Fatalf("contract %s: Get(name %q) returned a value (%d bytes), want session.ErrNotFound: %s", rule, name, len(got), why)
	}
	if !errors.Is(err, session.ErrNotFound) {
		e.t.Fatalf("contract %s: Get(name %q) error does not match session.ErrNotFound (errors.Is): %v (%s)", rule, name, err, why)
	}
}

// list returns ReadMetadata's keys with expiries as Unix seconds.
func (e *env) list(name, audience, subject string) map[string]int64 {
	e.t.Helper()
	got, err := e.s.ReadMetadata(e.ctx, name, audience, subject, e.now())
	if err != nil {
		e.t.Fatalf("ReadMetadata(name %q, audience %q, subject %q) failed: %v", name, audience, subject, err)
	}
	out := make(map[string]int64, len(got))
	for k, exp := range got {
		out[k] = exp.Unix()
	}
	return out
}

// mustList asserts that (name, audience, subject) lists exactly want; a
// want expiry of 0 means any expiry.
func (e *env) mustList(rule, name, audience, subject string, want map[string]int64, why string) {
	e.t.Helper()
	got := e.list(name, audience, subject)
	var problems []string
	for k, exp := range want {
		g, ok := got[k]
		switch {
		case !ok:
			problems = append(problems, "missing "+e.sec.label(k))
		case exp != 0 && g != exp:
			problems = append(problems, fmt.Sprintf("%s has expiry %d, want %d (%+ds)", e.sec.label(k), g, exp, g-exp))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, "unexpected "+e.sec.label(k))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		e.t.Fatalf("contract %s: ReadMetadata(name %q, audience %q, subject %q) lists %d keys, want %d: %s (%s)",
			rule, name, audience, subject, len(got), len(want), strings.Join(problems, "; "), why)
	}
}

// mustListReadable asserts the revocation guarantee (contract 2.17) for
// ks: each key that Get can still return is listed under pair p.
func (e *env) mustListReadable(rule, name string, p session.Pair, ks []string, why string) {
	e.t.Helper()
	if bad := e.readableUnlisted(name, p, ks); len(bad) > 0 {
		e.t.Fatalf("contract %s: %s readable but not listed by ReadMetadata(name %q, audience %q, subject %q): RevokeAll would miss it (%s)",
			rule, strings.Join(bad, ", "), name, p.Audience, p.Subject, why)
	}
}

// readableUnlisted returns the labels of the keys of ks that Get returns
// but ReadMetadata(name, p) does not list.
func (e *env) readableUnlisted(name string, p session.Pair, ks []string) []string {
	e.t.Helper()
	listed := e.list(name, p.Audience, p.Subject)
	var bad []string
	for _, k := range ks {
		if _, err := e.s.Get(e.ctx, name, k); err == nil {
			if _, ok := listed[k]; !ok {
				bad = append(bad, e.sec.label(k))
			}
		} else if !errors.Is(err, session.ErrNotFound) {
			e.t.Fatalf("Get failed: %v", err)
		}
	}
	return bad
}

// mustListDamaged asserts that a possibly damaged index lists at least
// want: its error, if any, must match session.ErrCorruptIndex and come with
// the entries (contract 2.19).
func (e *env) mustListDamaged(rule string, p session.Pair, want map[string]int64, why string) {
	e.t.Helper()
	got, err := e.s.ReadMetadata(e.ctx, cookie, p.Audience, p.Subject, e.now())
	if err != nil && !errors.Is(err, session.ErrCorruptIndex) {
		e.t.Fatalf("contract %s: ReadMetadata of a damaged index failed with an error that does not match session.ErrCorruptIndex: %v", rule, err)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			e.t.Fatalf("contract %s: ReadMetadata (error %v) does not list %s: %s", rule, err, e.sec.label(k), why)
		}
	}
}

func keys(k ...string) map[string]int64 {
	m := make(map[string]int64, len(k))
	for _, k := range k {
		m[k] = 0
	}
	return m
}

// expiry is the index expiry contracts 2.7 and 2.18 prescribe: now+ttl
// rounded up to the whole Unix second, a fraction of now counted. Computed
// here independently of the driver toolkit, which drivers use.
func expiry(now time.Time, ttl time.Duration) int64 {
	end := now.Add(ttl)
	s := end.Unix()
	if end.Nanosecond() != 0 {
		s++
	}
	return s
}

// secrets are the session keys and values a subtest used; none may appear
// in an error (contract 2.13).
type secrets struct {
	mu   sync.Mutex
	list []string
	pos  map[string]int // index in list
}

func (s *secrets) add(v string) {
	s.mu.Lock()
	if s.pos == nil {
		s.pos = map[string]int{}
	}
	s.pos[v] = len(s.list)
	s.list = append(s.list, v)
	s.mu.Unlock()
}

// leaked returns a description of the first secret in msg, or "".
func (s *secrets) leaked(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range s.list {
		if strings.Contains(msg, v) {
			return describe(i, v)
		}
	}
	return ""
}

// redact returns msg with every secret replaced by its description, so that
// a report of a leak does not repeat it.
func (s *secrets) redact(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range s.list {
		if strings.Contains(msg, v) {
			msg = strings.ReplaceAll(msg, v, "<"+describe(i, v)+">")
		}
	}
	return msg
}

func describe(i int, secret string) string {
	if strings.HasPrefix(secret, "value-") {
		return fmt.Sprintf("session value #%d", i)
	}
	return fmt.Sprintf("session key #%d", i)
}

// redactedError is a driver error that quoted a secret: it prints redacted
// and still matches, with errors.Is and errors.As, what the original matched.
type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }

// label names a key in failure messages without printing it: a failing
// driver's log is still a log.
func (s *secrets) label(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.pos[k]; ok {
		return fmt.Sprintf("key #%d", i)
	}
	return fmt.Sprintf("unknown key of %d bytes", len(k))
}

// errPanicked replaces the result of a call that panicked.
var errPanicked = errors.New("conformance: the driver panicked")

// checked wraps the Storage under test: it turns a panic into a test
// failure (contract 2.15) and fails the test when an error contains a
// session key or value (contract 2.13). It is safe for concurrent use.
type checked struct {
	t   *testing.T
	s   session.Storage
	sec *secrets
}

func (c *checked) guard(op string, err *error) {
	if r := recover(); r != nil {
		c.t.Errorf("contract 2.15: %s panicked: %v", op, r)
		*err = errPanicked
		return
	}
	if *err != nil {
		if what := c.sec.leaked((*err).Error()); what != "" {
			// Redacted here and wherever a case prints the error later.
			*err = &redactedError{msg: c.sec.redact((*err).Error()), err: *err}
			c.t.Errorf("contract 2.13: the error of %s contains a %s (a bearer credential must never reach an error): %q", op, what, (*err).Error())
		}
	}
}

func (c *checked) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) (err error) {
	defer c.guard("Set", &err)
	return c.s.Set(ctx, name, key, value, ttl, now, opts)
}

func (c *checked) Get(ctx context.Context, name, key string) (_ []byte, err error) {
	defer c.guard("Get", &err)
	return c.s.Get(ctx, name, key)
}

func (c *checked) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) (err error) {
	defer c.guard("Delete", &err)
	return c.s.Delete(ctx, name, key, now, metadata)
}

func (c *checked) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (_ map[string]time.Time, err error) {
	defer c.guard("ReadMetadata", &err)
	return c.s.ReadMetadata(ctx, name, audience, subject, now)
}

func (c *checked) Close() (err error) {
	defer c.guard("Close", &err)
	return c.s.Close()
}
