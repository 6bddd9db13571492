package conformance

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

func roundTripCases() []testCase {
	return []testCase{
		{name: "Value", fn: func(t *testing.T, e *env) {
			k, v := e.key(), e.value()
			e.set(k, v, longTTL, session.SetOptions{})
			e.mustGet("2.1", k, v)
		}},
		{name: "AllByteValues", fn: func(t *testing.T, e *env) {
			v := make([]byte, 0, 512)
			for i := range 256 {
				v = append(v, byte(i))
			}
			for i := 255; i >= 0; i-- { // and every byte after every other kind
				v = append(v, byte(i))
			}
			k := e.key()
			if e.h.Capabilities.TextValues {
				err := e.s.Set(e.ctx, cookie, k, v, longTTL, e.now(), session.SetOptions{})
				e.mustReject("2.1/2.13 (Capabilities.TextValues: a value that is not text is rejected)", "Set", "value", err, false)
				e.mustMiss("2.13", k, "a value rejected as not text must write nothing")
				return
			}
			e.set(k, v, longTTL, session.SetOptions{})
			e.mustGet("2.1 (binary-safe values: all 256 byte values)", k, v)
		}},
		{name: "EmptyValue", fn: func(t *testing.T, e *env) {
			k := e.key()
			e.set(k, []byte{}, longTTL, session.SetOptions{})
			e.mustGet("2.1 (an empty value is a value, not a miss)", k, nil)
			k2 := e.key()
			e.set(k2, nil, longTTL, session.SetOptions{})
			e.mustGet("2.1 (a nil value is stored as an empty value, not a miss)", k2, nil)
		}},
		{name: "LargeValue", fn: func(t *testing.T, e *env) {
			n := e.h.Capabilities.MaxValueSize
			if n == 0 {
				n = 1 << 20
			}
			v := bytes.Repeat(e.value(), n/30+1)[:n]
			k := e.key()
			e.set(k, v, longTTL, session.SetOptions{})
			e.mustGet("2.1 (a value of Capabilities.MaxValueSize bytes, or 1 MiB when unlimited)", k, v)
		}},
		{name: "CallerMayReuseBuffers", fn: func(t *testing.T, e *env) {
			k, v := e.key(), e.value()
			buf := append([]byte(nil), v...)
			e.set(k, buf, longTTL, session.SetOptions{})
			for i := range buf { // the caller reuses its buffer
				buf[i] = 'X'
			}
			got, err := e.s.Get(e.ctx, cookie, k)
			if err != nil {
				t.Fatalf("contract 2.1: Get failed: %v", err)
			}
			if !bytes.Equal(got, v) {
				t.Fatalf("contract 2.1: Get returned other bytes than stored after the caller reused the buffer it passed to Set: the driver must copy the value")
			}
			for i := range got { // the caller modifies what Get returned
				got[i] = 'Y'
			}
			e.mustGet("2.1 (modifying the slice Get returned must not change the stored value)", k, v)
		}},
		{name: "OddKeys", fn: func(t *testing.T, e *env) {
			// Keys a caller may use without metadata: ';', spaces, percent
			// signs, non-ASCII, control bytes (only ':' is refused, contract
			// section 3). The memcached driver escapes them (contract 4.3);
			// every driver must store them.
			for _, k := range []string{"a;b", "with space", "percent%41", "ünïcødé", "x", "tab\there", strings.Repeat("k", 100)} {
				v := e.value()
				if e.setOrRestricted("2.1/2.13", cookie, k, v, longTTL, session.SetOptions{}) {
					e.mustGet("2.1/2.13 (a key without metadata may hold ';', spaces, '%', control bytes and non-ASCII)", k, v)
				}
			}
		}},
	}
}

func overwriteCases() []testCase {
	return []testCase{
		{name: "Value", fn: func(t *testing.T, e *env) {
			k := e.key()
			e.set(k, e.value(), longTTL, session.SetOptions{})
			v2 := e.value()
			e.set(k, v2, longTTL, session.SetOptions{})
			e.mustGet("2.2 (Set on an existing key replaces the value)", k, v2)
		}},
		{name: "TTLShortened", timed: true, fn: func(t *testing.T, e *env) {
			k := e.key()
			e.set(k, e.value(), longTTL, session.SetOptions{})
			ttl := e.shortTTL()
			v2 := e.value()
			e.set(k, v2, ttl, session.SetOptions{})
			e.mustGet("2.2", k, v2)
			e.pastTTL(ttl)
			e.mustMiss("2.2", k, "Set replaces the TTL: after the second, shorter TTL the session must be gone")
		}},
		{name: "TTLExtended", timed: true, fn: func(t *testing.T, e *env) {
			k := e.key()
			ttl := e.shortTTL()
			e.set(k, e.value(), ttl, session.SetOptions{})
			v2 := e.value()
			e.set(k, v2, longTTL, session.SetOptions{})
			e.pastTTL(ttl)
			e.mustGet("2.2 (Set replaces the TTL: after the first, shorter TTL the session rewritten with a long TTL must still be there)", k, v2)
		}},
	}
}

func expiryCases() []testCase {
	return []testCase{
		{name: "PresentBeforeGoneAfter", timed: true, fn: func(t *testing.T, e *env) {
			k, v := e.key(), e.value()
			ttl := e.shortTTL()
			e.set(k, v, ttl, session.SetOptions{})
			e.mustGet("2.3 (before its TTL the session is there)", k, v)
			if e.clock != nil {
				e.advance(ttl - time.Second)
				e.mustGet("2.3 (one second before its TTL the session is there)", k, v)
			}
			e.pastTTL(ttl)
			e.mustMiss("2.3/2.4", k, "after its TTL the session must be gone")
		}},
		{name: "LongTTL", fn: func(t *testing.T, e *env) {
			// memcached reads an expiry over 30 days as an absolute Unix
			// time; a driver that passes such a TTL through loses the
			// session at once (contract 4.2; peers get this wrong).
			for _, ttl := range []time.Duration{30*24*time.Hour + time.Second, 31 * 24 * time.Hour, 400 * 24 * time.Hour} {
				k, v := e.key(), e.value()
				now := e.now()
				e.setAt(now, k, v, ttl, session.SetOptions{Metadata: pairs(audA, subX)})
				e.mustGet(fmt.Sprintf("2.3 (a session with ttl %v, over 30 days, is there at once)", ttl), k, v)
				got := e.list(cookie, audA, subX)
				if exp, ok := got[k]; !ok || exp != expiry(now, ttl) {
					t.Fatalf("contract 2.7: a session with ttl %v is listed with expiry now%+ds (listed: %v), want now+%ds", ttl, exp-now.Unix(), ok, int64(ttl/time.Second))
				}
			}
		}},
		{name: "OthersUnaffected", timed: true, fn: func(t *testing.T, e *env) {
			short, long := e.key(), e.key()
			ttl := e.shortTTL()
			v := e.value()
			e.set(short, e.value(), ttl, session.SetOptions{})
			e.set(long, v, longTTL, session.SetOptions{})
			e.pastTTL(ttl)
			e.mustMiss("2.3", short, "after its TTL the session must be gone")
			e.mustGet("2.3 (one session expiring leaves another with a longer TTL alone)", long, v)
		}},
	}
}

func getCases() []testCase {
	return []testCase{
		{name: "MissIsNotFound", fn: func(t *testing.T, e *env) {
			e.mustMiss("2.4", e.key(), "a key never written is a miss: an error matching session.ErrNotFound, not a transport error")
		}},
		{name: "MissUnderUsedName", fn: func(t *testing.T, e *env) {
			e.set(e.key(), e.value(), longTTL, session.SetOptions{})
			e.mustMiss("2.4", e.key(), "another key under a name in use is still a miss")
		}},
	}
}

func deleteCases() []testCase {
	return []testCase{
		{name: "ThenGetNotFound", fn: func(t *testing.T, e *env) {
			k := e.key()
			e.set(k, e.value(), longTTL, session.SetOptions{})
			if err := e.s.Delete(e.ctx, cookie, k, e.now(), nil); err != nil {
				t.Fatalf("contract 2.6: Delete of a stored session failed: %v", err)
			}
			e.mustMiss("2.6", k, "a deleted session is gone")
		}},
		{name: "LeavesOthers", fn: func(t *testing.T, e *env) {
			k, other, v := e.key(), e.key(), e.value()
			e.set(k, e.value(), longTTL, session.SetOptions{})
			e.set(other, v, longTTL, session.SetOptions{})
			if err := e.s.Delete(e.ctx, cookie, k, e.now(), nil); err != nil {
				t.Fatalf("contract 2.6: Delete failed: %v", err)
			}
			e.mustGet("2.6 (Delete removes only its key)", other, v)
		}},
		{name: "MissingKeySucceeds", fn: func(t *testing.T, e *env) {
			k := e.key()
			if err := e.s.Delete(e.ctx, cookie, k, e.now(), nil); err != nil {
				t.Fatalf("contract 2.6: Delete of a key that does not exist must succeed (Lua's NOT_FOUND bug is not ported), got: %v", err)
			}
			e.set(k, e.value(), longTTL, session.SetOptions{})
			for i := range 2 {
				if err := e.s.Delete(e.ctx, cookie, k, e.now(), nil); err != nil {
					t.Fatalf("contract 2.6: Delete #%d of the same key must succeed (idempotent), got: %v", i+1, err)
				}
			}
			e.mustMiss("2.6", k, "a deleted session is gone")
		}},
		{name: "MissingKeyWithMetadataSucceeds", fn: func(t *testing.T, e *env) {
			k := e.key()
			if err := e.s.Delete(e.ctx, cookie, k, e.now(), pairs(audA, subX)); err != nil {
				t.Fatalf("contract 2.6: Delete with metadata of a key that does not exist must succeed, got: %v", err)
			}
			e.mustList("2.6/2.10", cookie, audA, subX, keys(), "deleting a missing key must not create an index entry")
		}},
	}
}

func closeCases() []testCase {
	return []testCase{
		{name: "IdempotentThenErrClosed", fn: func(t *testing.T, e *env) {
			k := e.key()
			e.set(k, e.value(), longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			for i := range 2 {
				if err := e.s.Close(); err != nil {
					t.Fatalf("contract 2.16: Close #%d failed: %v; Close must be idempotent", i+1, err)
				}
			}
			for _, op := range []struct {
				name string
				call func() error
			}{
				{"Set", func() error {
					return e.s.Set(e.ctx, cookie, e.key(), e.value(), longTTL, e.now(), session.SetOptions{})
				}},
				{"Get", func() error { _, err := e.s.Get(e.ctx, cookie, k); return err }},
				{"Delete", func() error { return e.s.Delete(e.ctx, cookie, k, e.now(), nil) }},
				{"ReadMetadata", func() error { _, err := e.s.ReadMetadata(e.ctx, cookie, audA, subX, e.now()); return err }},
			} {
				if err := op.call(); !errors.Is(err, session.ErrClosed) {
					t.Errorf("contract 2.16: %s after Close: want an error matching session.ErrClosed, got %v", op.name, err)
				}
			}
		}},
	}
}

func nameCases() []testCase {
	return []testCase{
		{name: "SameKeyUnderTwoNames", fn: func(t *testing.T, e *env) {
			if e.h.Capabilities.NamesShareKeys {
				t.Skip("Capabilities.NamesShareKeys: this driver keeps sessions by key alone (contract 2.9 does not hold)")
			}
			k, v1, v2 := e.key(), e.value(), e.value()
			e.setNamed(cookie, k, v1, longTTL, session.SetOptions{})
			e.mustMissNamed("2.9", remember, k, "a key stored under one cookie name does not exist under another")
			e.setNamed(remember, k, v2, longTTL, session.SetOptions{})
			e.mustGetNamed("2.9 (the same key under two names is two sessions)", cookie, k, v1)
			e.mustGetNamed("2.9 (the same key under two names is two sessions)", remember, k, v2)
			if err := e.s.Delete(e.ctx, remember, k, e.now(), nil); err != nil {
				t.Fatalf("Delete failed: %v", err)
			}
			e.mustMissNamed("2.9", remember, k, "the deleted session is gone")
			e.mustGetNamed("2.9 (deleting under one name leaves the other name's session)", cookie, k, v1)
		}},
		{name: "IndexIsNoSession", fn: func(t *testing.T, e *env) {
			// Version 1 joined raw parts: Get("session", "default:alice")
			// read alice's index (her session keys), a Set of that key
			// overwrote it and a Delete removed it (contract 2.20). Every
			// spelling of an index's name as a key is refused or misses.
			k := e.key()
			md := pairs(audA, subX)
			e.set(k, e.value(), longTTL, session.SetOptions{Metadata: md})
			b64 := base64.RawURLEncoding.EncodeToString
			for _, guess := range []string{audA + ":" + subX, b64([]byte(audA)) + ":" + b64([]byte(subX))} {
				got, err := e.s.Get(e.ctx, cookie, guess)
				if err == nil {
					t.Fatalf("contract 2.20: Get of a key spelling an index's name returned %d bytes: an index must never be readable as a session", len(got))
				}
				e.mustReject("2.20", "Get", "key", err, false)
				e.mustReject("2.20", "Set", "key", e.s.Set(e.ctx, cookie, guess, e.value(), longTTL, e.now(), session.SetOptions{}), false)
				e.mustReject("2.20", "Delete", "key", e.s.Delete(e.ctx, cookie, guess, e.now(), nil), false)
			}
			// The name slot cannot be used to reach it either.
			_, err := e.s.Get(e.ctx, cookie+":"+audA, subX)
			e.mustReject("2.20", "Get", "name", err, false)
			e.mustList("2.20", cookie, audA, subX, keys(k), "no Set, Get or Delete of a colliding name touches the index")
		}},
		{name: "PairsNeverShareAnIndex", fn: func(t *testing.T, e *env) {
			// ("a:b", "c") and ("a", "b:c") joined into one name in version 1.
			k1, k2, k3 := e.key(), e.key(), e.key()
			e.set(k1, e.value(), longTTL, session.SetOptions{Metadata: pairs("a:b", "c")})
			e.set(k2, e.value(), longTTL, session.SetOptions{Metadata: pairs("a", "b:c")})
			e.set(k3, e.value(), longTTL, session.SetOptions{Metadata: pairs("ab", "c")})
			e.mustList("2.20", cookie, "a:b", "c", keys(k1), "the pair (\"a:b\", \"c\") has an index of its own")
			e.mustList("2.20", cookie, "a", "b:c", keys(k2), "the pair (\"a\", \"b:c\") has an index of its own")
			e.mustList("2.20", cookie, "ab", "c", keys(k3), "the pair (\"ab\", \"c\") has an index of its own")
		}},
		{name: "PairsHoldAnyBytes", fn: func(t *testing.T, e *env) {
			// Audiences and subjects are the caller's plain strings; drivers
			// encode them, so separators, control bytes and invalid UTF-8
			// are fine and stay apart.
			odd := []string{"a:b;c", "with space", "nul\x00byte", "\xff\xfe", "ünïcødé", "%3A"}
			ks := make([]string, len(odd))
			for i, sub := range odd {
				ks[i] = e.key()
				e.set(ks[i], e.value(), longTTL, session.SetOptions{Metadata: pairs(sub, sub)})
			}
			for i, sub := range odd {
				e.mustList("2.7/2.20", cookie, sub, sub, keys(ks[i]), fmt.Sprintf("odd audience and subject #%d are stored and kept apart", i))
			}
			n, err := session.RevokeAll(e.ctx, e.s, cookie, odd[0], odd[0], e.now())
			if err != nil || n != 1 {
				t.Fatalf("contract 2.7: RevokeAll of an odd pair revoked %d sessions (error %v), want 1", n, err)
			}
			e.mustMiss("2.6", ks[0], "RevokeAll of an odd pair deletes its session")
		}},
		{name: "HostPrefixedName", fn: func(t *testing.T, e *env) {
			k, v := e.key(), e.value()
			e.setNamed("__Host-session", k, v, longTTL, session.SetOptions{Metadata: pairs(audA, subX)})
			e.mustGetNamed("2.1 (cookie names such as __Host-session work)", "__Host-session", k, v)
			e.mustList("2.7", "__Host-session", audA, subX, keys(k), "the session is indexed under its own cookie name")
		}},
	}
}
