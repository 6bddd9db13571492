package conformance

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// Cases about how calls fail: a done context, errors that never quote a
// secret, no panic on odd input.

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
