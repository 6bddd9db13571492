package conformance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// The world of one case: its clock, its Storage, and the helpers that
// store, read and assert through them.

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
