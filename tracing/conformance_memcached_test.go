package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/stretchr/testify/assert"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
	"github.com/sessionstore/sessionstore/tracing"
)

// The memcached half of the wrapper's conformance runs: a real memcached in
// a container (skipped without Docker unless SESSIONSTORE_REQUIRE_DOCKER=1).
// It is a file of its own because it is the only part of these tests that
// needs the memcached driver.

var prefixSeq atomic.Int64

func TestConformanceMemcached(t *testing.T) {
	srv := memcachedtest.Start(t)
	raw := memcache.New(srv.Addr)
	t.Cleanup(func() { _ = raw.Close() })
	var prefixes sync.Map // traced Storage -> its key prefix
	// indexItem is the wire name of the index of (name, audience, subject)
	// in the Storage s, as the driver names it (contract sections 3, 4.3).
	indexItem := func(s session.Storage, name, audience, subject string) (string, error) {
		prefix, ok := prefixes.Load(s)
		if !ok {
			return "", fmt.Errorf("unknown storage %T", s)
		}
		return escapeURI(driver.Naming{Prefix: prefix.(string)}.IndexItem(name, audience, subject)), nil
	}
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, _ func() time.Time) session.Storage {
			// One server for the run, a key prefix per subtest; the
			// helper closes the Storage at cleanup (a second Close, after
			// the Close cases closed it through the wrapper, is harmless).
			prefix := fmt.Sprintf("tracing%d", prefixSeq.Add(1))
			store := memcachedtest.NewStorage(t, memcached.Config{Host: srv.Host, Port: srv.Port, Prefix: prefix})
			traced := tracing.New(store, recordingProviders(t)...)
			prefixes.Store(traced, prefix)
			return traced
		},
		FakeClock: false,
		// A torn write behind the wrapper's back: bytes no index parser
		// understands, appended to the stored index item.
		DamageIndex: func(_ context.Context, s session.Storage, name, audience, subject string) error {
			key, err := indexItem(s, name, audience, subject)
			if err != nil {
				return err
			}
			return raw.Append(&memcache.Item{Key: key, Value: []byte("\xff\xfetorn:EP9")})
		},
		Capabilities: conformance.Capabilities{
			MaxValueSize:   memcached.DefaultMaxValueSize,
			StaleMayExtend: true,
			IndexSize: func(_ context.Context, s session.Storage, name, audience, subject string) (int, error) {
				key, err := indexItem(s, name, audience, subject)
				if err != nil {
					return 0, err
				}
				it, err := raw.Get(key)
				if errors.Is(err, memcache.ErrCacheMiss) {
					return 0, nil
				}
				if err != nil {
					return 0, err
				}
				return len(it.Value), nil
			},
		},
	})

	t.Run("SpanAttributes", func(t *testing.T) {
		store := memcachedtest.NewStorage(t, memcached.Config{Host: srv.Host, Port: srv.Port, Prefix: "tracing-attrs"})
		r := newRig(t, store, nil)
		_, err := r.store.Get(context.Background(), "session", secretKey)
		assert.ErrorIs(t, err, session.ErrNotFound)
		span := r.only(t)
		got := attrMap(span.Attributes())
		assert.Equal(t, "memcached", got["db.system.name"].AsString())
		assert.Equal(t, srv.Host, got["server.address"].AsString())
		assert.Equal(t, int64(srv.Port), got["server.port"].AsInt64())
		assert.Equal(t, "get session", span.Name())
		assert.Equal(t, driver.Endpoint{System: "memcached", Address: srv.Host, Port: srv.Port}, r.store.Endpoint(),
			"the wrapper reports the driver's endpoint")
	})
}

// escapeURI encodes a key as lua-resty-session (ngx.escape_uri) and the
// memcached driver put it on the wire (contract 4.3).
func escapeURI(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
