package conformance_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// The capabilities that let a driver deviate from the strict contract are
// usable: a driver with exactly the declared deviation passes.

// textOnly rejects values that are not UTF-8, as a TEXT column must.
type textOnly struct{ wrapper }

func (w textOnly) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if !utf8.Valid(value) {
		return driver.Invalid("value", "must be valid UTF-8 text for a TEXT column")
	}
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

// oneName keeps every session and index under one name, as
// lua-resty-session's SQL tables do.
type oneName struct{ wrapper }

func (w oneName) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := driver.CheckSet(name, key, ttl, opts); err != nil {
		return err
	}
	return w.refStore.Set(ctx, "all", key, value, ttl, now, opts)
}

func (w oneName) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := driver.CheckGet(name, key); err != nil {
		return nil, err
	}
	return w.refStore.Get(ctx, "all", key)
}

func (w oneName) Delete(ctx context.Context, name, key string, now time.Time, md []session.Pair) error {
	if err := driver.CheckDelete(name, key, md); err != nil {
		return err
	}
	return w.refStore.Delete(ctx, "all", key, now, md)
}

func (w oneName) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := driver.CheckReadMetadata(name, audience, subject); err != nil {
		return nil, err
	}
	return w.refStore.ReadMetadata(ctx, "all", audience, subject, now)
}

// char43 stores only keys of at most 43 base64url characters, as
// lua-resty-session's MySQL sid CHAR(43) ASCII column does.
type char43 struct{ wrapper }

func (w char43) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if len(key) > 43 || strings.Trim(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		if driver.CheckSet(name, key, ttl, opts) == nil {
			return driver.Invalid("key", "must be at most 43 base64url characters for the sid column")
		}
	}
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

func TestCapabilities(t *testing.T) {
	for _, c := range []struct {
		name string
		caps conformance.Capabilities
		wrap func(*refStore) session.Storage
	}{
		{"TextValues", conformance.Capabilities{TextValues: true}, func(s *refStore) session.Storage { return textOnly{wrapper{s}} }},
		{"NamesShareKeys", conformance.Capabilities{NamesShareKeys: true}, func(s *refStore) session.Storage { return oneName{wrapper{s}} }},
		{"RestrictedKeys", conformance.Capabilities{RestrictedKeys: true}, func(s *refStore) session.Storage { return char43{wrapper{s}} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			conformance.Run(t, conformance.Harness{
				FakeClock:    true,
				Capabilities: c.caps,
				NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
					return c.wrap(newRefStore(now))
				},
			})
		})
	}
}
