package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// setArgs are the arguments of one Set.
type setArgs struct {
	name  string
	key   string
	value []byte
	ttl   time.Duration
	opts  session.SetOptions
}

// badSet is a Set that every driver must reject with ErrInvalidArgument
// (contract 2.13), naming arg in its error.
type badSet struct {
	name string
	arg  string // the argument the error must name (lower case)
	// prepare stores what the case needs first (an old key) and edits a.
	prepare  func(e *env, a *setArgs)
	tooLarge bool
}

func badSets() []badSet {
	return []badSet{
		{name: "TTLZero", arg: "ttl", prepare: func(e *env, a *setArgs) { a.ttl = 0 }},
		{name: "TTLNegative", arg: "ttl", prepare: func(e *env, a *setArgs) { a.ttl = -time.Minute }},
		{name: "EmptyName", arg: "name", prepare: func(e *env, a *setArgs) { a.name = "" }},
		{name: "EmptyKey", arg: "key", prepare: func(e *env, a *setArgs) { a.key = "" }},
		{name: "EmptyAudience", arg: "audience", prepare: func(e *env, a *setArgs) { a.opts.Metadata = pairs("", subX) }},
		{name: "EmptySubject", arg: "subject", prepare: func(e *env, a *setArgs) { a.opts.Metadata = pairs(audA, "") }},
		{name: "EmptySubjectInSecondPair", arg: "subject", prepare: func(e *env, a *setArgs) { a.opts.Metadata = pairs(audA, subX, audB, "") }},
		{name: "OldKeyEqualsKey", arg: "oldkey", prepare: func(e *env, a *setArgs) { a.opts.OldKey = a.key }},
		{name: "NegativeStaleTTL", arg: "stalettl", prepare: func(e *env, a *setArgs) {
			a.opts.OldKey = e.storedOld("")
			a.opts.StaleTTL = -time.Second
		}},
		{name: "NameWithColon", arg: "name", prepare: func(e *env, a *setArgs) { a.name = cookie + ":x" }},
		{name: "KeyWithColon", arg: "key", prepare: func(e *env, a *setArgs) { a.key += ":x"; a.opts.Metadata = nil }},
		{name: "KeyWithColonAndMetadata", arg: "key", prepare: func(e *env, a *setArgs) { a.key += ":x" }},
		{name: "KeyWithSemicolonAndMetadata", arg: "key", prepare: func(e *env, a *setArgs) { a.key += ";x" }},
		{name: "OldKeyWithColon", arg: "oldkey", prepare: func(e *env, a *setArgs) { a.opts.OldKey = e.key() + ":x"; a.opts.Metadata = nil }},
		{name: "OldKeyWithColonAndMetadata", arg: "oldkey", prepare: func(e *env, a *setArgs) { a.opts.OldKey = e.key() + ":x" }},
		{name: "OldKeyWithSemicolonAndMetadata", arg: "oldkey", prepare: func(e *env, a *setArgs) { a.opts.OldKey = e.storedOld(";x") }},
		{name: "ValueOverMaxValueSize", arg: "value", tooLarge: true, prepare: func(e *env, a *setArgs) {
			n := e.h.Capabilities.MaxValueSize + 1
			a.value = bytes.Repeat(a.value, n/len(a.value)+1)[:n]
		}},
	}
}

// storedOld stores a session to rotate away from and returns its key: a
// fresh key plus suffix. A plain key is stored with metadata (A,x); a key
// with a suffix such as ";x" cannot be indexed and is stored without.
func (e *env) storedOld(suffix string) string {
	e.t.Helper()
	k, v := e.key()+suffix, e.value()
	var opts session.SetOptions
	if suffix == "" {
		opts.Metadata = pairs(audA, subX)
	}
	if e.setOrRestricted("2.13", cookie, k, v, longTTL, opts) {
		e.old = &oldKey{key: k, value: v}
	}
	return k
}

func badInputCases() []testCase {
	var cases []testCase
	for _, b := range badSets() {
		cases = append(cases, testCase{name: "Set/" + b.name, fn: func(t *testing.T, e *env) {
			if b.tooLarge && e.h.Capabilities.MaxValueSize == 0 {
				t.Skip("Capabilities.MaxValueSize is 0 (unlimited)")
			}
			a := setArgs{name: cookie, key: e.key(), value: e.value(), ttl: longTTL, opts: session.SetOptions{Metadata: pairs(audA, subX)}}
			b.prepare(e, &a)
			err := e.s.Set(e.ctx, a.name, a.key, a.value, a.ttl, e.now(), a.opts)
			e.mustReject("2.13", "Set", b.arg, err, b.tooLarge)
			// Nothing was written.
			if a.name != "" && a.key != "" && !strings.Contains(a.name+a.key, ":") {
				e.mustMissNamed("2.13", a.name, a.key, "a rejected Set must write nothing")
			}
			want := keys()
			if e.old != nil && !strings.ContainsAny(e.old.key, ":;") {
				want = keys(e.old.key) // the old key's own index entry stays
			}
			e.mustList("2.13", cookie, audA, subX, want, "a rejected Set must not touch any index")
			if e.old != nil {
				e.mustGet("2.13 (a rejected rotation leaves the old key alone)", e.old.key, e.old.value)
			}
		}})
	}
	cases = append(cases,
		testCase{name: "Set/LongKeyStoredOrRejected", fn: func(t *testing.T, e *env) {
			// A key too long for the backend (memcached: 250 bytes) is bad
			// input: rejected with an error naming it, nothing written. A
			// driver that takes it must keep it whole: two long keys that
			// share their first 300 bytes are two sessions.
			base := e.key() + strings.Repeat("k", 300)
			k1, k2 := base+"1", base+"2"
			v1, v2 := e.value(), e.value()
			md := pairs(audA, subX)
			err := e.s.Set(e.ctx, cookie, k1, v1, longTTL, e.now(), session.SetOptions{Metadata: md})
			if err != nil {
				e.mustReject("2.13/4.3", "Set", "key", err, false)
				if got, err := e.s.Get(e.ctx, cookie, k1); err == nil {
					t.Fatalf("contract 2.13: a Set rejected for its long key wrote a value (%d bytes)", len(got))
				}
				e.mustList("2.13", cookie, audA, subX, keys(), "a Set rejected for its long key must not touch any index")
				return
			}
			e.set(k2, v2, longTTL, session.SetOptions{Metadata: md})
			e.mustGet("2.1 (a long key is kept whole: two keys that differ after byte 300 are two sessions)", k1, v1)
			e.mustGet("2.1 (a long key is kept whole: two keys that differ after byte 300 are two sessions)", k2, v2)
			e.mustList("2.7", cookie, audA, subX, keys(k1, k2), "both long keys are listed")
		}},
		testCase{name: "Get/EmptyName", fn: func(t *testing.T, e *env) {
			_, err := e.s.Get(e.ctx, "", e.key())
			e.mustReject("2.13", "Get", "name", err, false)
		}},
		testCase{name: "Get/EmptyKey", fn: func(t *testing.T, e *env) {
			_, err := e.s.Get(e.ctx, cookie, "")
			e.mustReject("2.13", "Get", "key", err, false)
		}},
		testCase{name: "Delete/EmptyName", fn: func(t *testing.T, e *env) {
			e.mustReject("2.13", "Delete", "name", e.s.Delete(e.ctx, "", e.key(), e.now(), nil), false)
		}},
		testCase{name: "Delete/EmptyKey", fn: func(t *testing.T, e *env) {
			e.mustReject("2.13", "Delete", "key", e.s.Delete(e.ctx, cookie, "", e.now(), nil), false)
		}},
		testCase{name: "Delete/EmptyAudience", fn: func(t *testing.T, e *env) {
			k, v := e.key(), e.value()
			e.set(k, v, longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustReject("2.13", "Delete", "audience", e.s.Delete(e.ctx, cookie, k, e.now(), pairs(audA, subX, "", subY)), false)
			e.mustGet("2.13 (a rejected Delete deletes nothing)", k, v)
			e.mustList("2.13", cookie, audA, subX, keys(k), "a rejected Delete must not touch any index")
		}},
		testCase{name: "Delete/KeyWithSemicolonAndMetadata", fn: func(t *testing.T, e *env) {
			k, v := e.key()+";x", e.value()
			stored := e.setOrRestricted("2.13", cookie, k, v, longTTL, session.SetOptions{})
			e.mustReject("2.13", "Delete", "key", e.s.Delete(e.ctx, cookie, k, e.now(), pairs(audA, subX)), false)
			if stored {
				e.mustGet("2.13 (a rejected Delete deletes nothing)", k, v)
			}
		}},
		testCase{name: "Get/KeyWithColon", fn: func(t *testing.T, e *env) {
			_, err := e.s.Get(e.ctx, cookie, e.key()+":x")
			e.mustReject("2.13/3", "Get", "key", err, false)
		}},
		testCase{name: "Get/NameWithColon", fn: func(t *testing.T, e *env) {
			_, err := e.s.Get(e.ctx, cookie+":x", e.key())
			e.mustReject("2.13/3", "Get", "name", err, false)
		}},
		testCase{name: "Delete/KeyWithColon", fn: func(t *testing.T, e *env) {
			e.mustReject("2.13/3", "Delete", "key", e.s.Delete(e.ctx, cookie, e.key()+":x", e.now(), nil), false)
		}},
		testCase{name: "Delete/NameWithColon", fn: func(t *testing.T, e *env) {
			e.mustReject("2.13/3", "Delete", "name", e.s.Delete(e.ctx, cookie+":x", e.key(), e.now(), nil), false)
		}},
		testCase{name: "ReadMetadata/NameWithColon", fn: func(t *testing.T, e *env) {
			_, err := e.s.ReadMetadata(e.ctx, cookie+":x", audA, subX, e.now())
			e.mustReject("2.13/3", "ReadMetadata", "name", err, false)
		}},
		testCase{name: "Set/OversizedOverwriteKeepsOld", fn: func(t *testing.T, e *env) {
			// A write the backend would refuse must be refused before it is
			// sent: memcached drops the previous value when it rejects an
			// item as too large, which logs the user out (contract 2.21).
			n := e.h.Capabilities.MaxValueSize
			if n == 0 {
				t.Skip("Capabilities.MaxValueSize is 0 (unlimited)")
			}
			k, v := e.key(), e.value()
			e.set(k, v, longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			big := bytes.Repeat(e.value(), n/30+2)[:n+1]
			err := e.s.Set(e.ctx, cookie, k, big, longTTL, e.now(), session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustReject("2.21", "Set", "value", err, true)
			e.mustGet("2.21 (a rejected overwrite leaves the previous value intact)", k, v)
			e.mustList("2.21", cookie, audA, subX, keys(k), "a rejected overwrite leaves the index alone")
		}},
		testCase{name: "ReadMetadata/EmptyName", fn: func(t *testing.T, e *env) {
			_, err := e.s.ReadMetadata(e.ctx, "", audA, subX, e.now())
			e.mustReject("2.13", "ReadMetadata", "name", err, false)
		}},
		testCase{name: "ReadMetadata/EmptyAudience", fn: func(t *testing.T, e *env) {
			_, err := e.s.ReadMetadata(e.ctx, cookie, "", subX, e.now())
			e.mustReject("2.13", "ReadMetadata", "audience", err, false)
		}},
		testCase{name: "ReadMetadata/EmptySubject", fn: func(t *testing.T, e *env) {
			_, err := e.s.ReadMetadata(e.ctx, cookie, audA, "", e.now())
			e.mustReject("2.13", "ReadMetadata", "subject", err, false)
		}},
	)
	return cases
}

// mustReject asserts that err reports an invalid argument that names arg
// (and, for a size limit, ErrTooLarge with the limit).
func (e *env) mustReject(rule, op, arg string, err error, tooLarge bool) {
	e.t.Helper()
	if err == nil {
		e.t.Fatalf("contract %s: %s with an invalid %s succeeded, want an error matching session.ErrInvalidArgument", rule, op, arg)
	}
	if !errors.Is(err, session.ErrInvalidArgument) {
		e.t.Fatalf("contract %s: %s with an invalid %s: error does not match session.ErrInvalidArgument (errors.Is): %v", rule, op, arg, err)
	}
	if tooLarge {
		if !errors.Is(err, session.ErrTooLarge) {
			e.t.Fatalf("contract %s: %s with a value over Capabilities.MaxValueSize: error does not match session.ErrTooLarge: %v", rule, op, err)
		}
		if lim := strconv.Itoa(e.h.Capabilities.MaxValueSize); !strings.Contains(err.Error(), lim) {
			e.t.Errorf("contract %s: %s with a value over the limit: the error must name the limit (%s bytes): %v", rule, op, lim, err)
		}
	}
	if !strings.Contains(strings.ToLower(err.Error()), arg) {
		e.t.Errorf("contract %s: %s: the error must say which argument is wrong (%q): %v", rule, op, arg, err)
	}
}

// ops are the four operations, each called with ctx on fresh arguments.
func (e *env) ops() []struct {
	name string
	call func(ctx context.Context) error
} {
	k := e.key()
	e.set(k, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
	return []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Set", func(ctx context.Context) error {
			return e.s.Set(ctx, cookie, e.key(), e.value(), longTTL, e.now(), session.SetOptions{Metadata: pairs(audA, subX)})
		}},
		{"Get", func(ctx context.Context) error { _, err := e.s.Get(ctx, cookie, k); return err }},
		{"Delete", func(ctx context.Context) error { return e.s.Delete(ctx, cookie, k, e.now(), pairs(audA, subX)) }},
		{"ReadMetadata", func(ctx context.Context) error {
			_, err := e.s.ReadMetadata(ctx, cookie, audA, subX, e.now())
			return err
		}},
	}
}

func contextCases() []testCase {
	var cases []testCase
	for _, kind := range []struct {
		name string
		ctx  func(parent context.Context) (context.Context, context.CancelFunc)
		want error
	}{
		{"Canceled", func(p context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(p)
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"DeadlineExceeded", func(p context.Context) (context.Context, context.CancelFunc) {
			return context.WithDeadline(p, time.Now().Add(-time.Second))
		}, context.DeadlineExceeded},
	} {
		for i, op := range []string{"Set", "Get", "Delete", "ReadMetadata"} {
			cases = append(cases, testCase{name: kind.name + "/" + op, fn: func(t *testing.T, e *env) {
				o := e.ops()[i]
				ctx, cancel := kind.ctx(e.ctx)
				defer cancel()
				err := o.call(ctx)
				if err == nil {
					t.Fatalf("contract 2.14: %s with a done context (%v) succeeded, want an error wrapping ctx.Err()", o.name, kind.want)
				}
				if !errors.Is(err, kind.want) {
					t.Fatalf("contract 2.14: %s with a done context: error does not wrap %v (errors.Is): %v", o.name, kind.want, err)
				}
			}})
		}
	}
	return cases
}

func errorCases() []testCase {
	return []testCase{
		{name: "NoKeyOrValueInErrors", fn: func(t *testing.T, e *env) {
			// Provoke every kind of error with distinctive keys and values
			// and look for them in the error text. Calls go to the raw
			// driver so that this case reports the leak itself.
			k, v := e.key(), e.value()
			e.set(k, v, longTTL, session.SetOptions{})
			cancelled, cancel := context.WithCancel(e.ctx)
			cancel()
			md := pairs(audA, subX)
			provoke := []struct {
				what string
				call func() error
			}{
				{"Get of a missing key", func() error { _, err := e.raw.Get(e.ctx, cookie, e.key()); return err }},
				{"Get with a cancelled context", func() error { _, err := e.raw.Get(cancelled, cookie, k); return err }},
				{"Set with a cancelled context", func() error {
					return e.raw.Set(cancelled, cookie, e.key(), e.value(), longTTL, e.now(), session.SetOptions{})
				}},
				{"Set with ttl 0", func() error { return e.raw.Set(e.ctx, cookie, e.key(), e.value(), 0, e.now(), session.SetOptions{}) }},
				{"Set with old key == key", func() error {
					return e.raw.Set(e.ctx, cookie, k, e.value(), longTTL, e.now(), session.SetOptions{OldKey: k})
				}},
				{"Set of a key with ';' and metadata", func() error {
					return e.raw.Set(e.ctx, cookie, e.key()+";", e.value(), longTTL, e.now(), session.SetOptions{Metadata: md})
				}},
				{"Set with an old key with ':' and metadata", func() error {
					return e.raw.Set(e.ctx, cookie, e.key(), e.value(), longTTL, e.now(), session.SetOptions{OldKey: e.key() + ":", Metadata: md})
				}},
				{"Delete of a key with ':' and metadata", func() error { return e.raw.Delete(e.ctx, cookie, e.key()+":", e.now(), md) }},
				{"Delete with a cancelled context", func() error { return e.raw.Delete(cancelled, cookie, k, e.now(), md) }},
				{"Set of a value over Capabilities.MaxValueSize", func() error {
					n := e.h.Capabilities.MaxValueSize
					if n == 0 {
						return nil
					}
					val := bytes.Repeat(e.value(), (n+1)/30+2)[:n+1]
					return e.raw.Set(e.ctx, cookie, e.key(), val, longTTL, e.now(), session.SetOptions{})
				}},
			}
			for _, p := range provoke {
				err := e.safe(p.call)
				if err == nil {
					continue // other cases check that the call fails
				}
				if what := e.sec.leaked(err.Error()); what != "" {
					t.Errorf("contract 2.13: the error of %s contains a %s; a session key is a bearer credential and must never reach an error: %q", p.what, what, e.sec.redact(err.Error()))
				}
			}
		}},
		{name: "NoPanicOnOddInput", fn: func(t *testing.T, e *env) {
			// Odd but valid input must not panic (contract 2.15); the
			// checking wrapper turns a panic into a failure.
			long := strings.Repeat("n", 300)
			_ = e.s.Set(e.ctx, long, strings.Repeat("k", 300), []byte{0}, time.Nanosecond, e.now(), session.SetOptions{Metadata: pairs(long, long)})
			_, _ = e.s.Get(e.ctx, long, strings.Repeat("k", 300))
			_, _ = e.s.ReadMetadata(e.ctx, long, long, long, e.now())
			_ = e.s.Delete(e.ctx, "\x00", "\xff\xfe", time.Time{}, pairs("\n", "\r"))
			_ = e.s.Set(e.ctx, cookie, e.key(), nil, 1<<62, time.Time{}, session.SetOptions{StaleTTL: 1 << 62, OldKey: e.key(), Metadata: pairs(audA, subX)})
			_, _ = e.s.ReadMetadata(e.ctx, cookie, audA, subX, time.Time{})
		}},
	}
}

// safe calls f on the raw driver, turning a panic into a failure.
func (e *env) safe(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.t.Errorf("contract 2.15: the driver panicked: %v", r)
			err = errPanicked
		}
	}()
	return f()
}

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
