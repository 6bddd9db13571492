package conformance

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
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
