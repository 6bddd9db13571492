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
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/tracing"
)

// recordingProviders returns SDK providers that record everything, so that
// the conformance runs exercise the wrapper's full path, and checks at
// cleanup that spans were indeed recorded.
func recordingProviders(t *testing.T) []tracing.Option {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	t.Cleanup(func() {
		if !t.Skipped() {
			assert.NotEmpty(t, spans.Ended(), "the traced storage recorded spans")
		}
		assert.NoError(t, tp.Shutdown(context.Background()))
		assert.NoError(t, mp.Shutdown(context.Background()))
	})
	return []tracing.Option{tracing.WithTracerProvider(tp), tracing.WithMeterProvider(mp)}
}

func TestConformanceMemory(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
			store := memory.New(memory.WithClock(now))
			t.Cleanup(func() { assert.NoError(t, store.Close()) })
			return tracing.New(store, append(recordingProviders(t), tracing.WithSystem("memory"))...)
		},
		FakeClock: true,
	})
}

var prefixSeq atomic.Int64

func TestConformanceMemcached(t *testing.T) {
	srv := memcachedtest.Start(t)
	raw := memcache.New(srv.Addr)
	t.Cleanup(func() { _ = raw.Close() })
	var prefixes sync.Map // traced Storage -> its key prefix
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, _ func() time.Time) session.Storage {
			// One server for the run, a key prefix per subtest; the
			// helper closes the Storage at cleanup.
			prefix := fmt.Sprintf("tracing%d", prefixSeq.Add(1))
			store := memcachedtest.NewStorage(t, memcached.Config{Host: srv.Host, Port: srv.Port, Prefix: prefix})
			traced := tracing.New(store, recordingProviders(t)...)
			prefixes.Store(traced, prefix)
			return traced
		},
		FakeClock: false,
		Capabilities: conformance.Capabilities{
			MaxValueSize:   memcached.DefaultMaxValueSize,
			StaleMayExtend: true,
			IndexSize: func(_ context.Context, s session.Storage, name, audience, subject string) (int, error) {
				prefix, ok := prefixes.Load(s)
				if !ok {
					return 0, fmt.Errorf("unknown storage %T", s)
				}
				key := session.Naming{Prefix: prefix.(string)}.IndexKey(name, audience, subject)
				it, err := raw.Get(escapeURI(key))
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
		f := newFake() // unused by the driver; the rig wants one
		store := memcachedtest.NewStorage(t, memcached.Config{Host: srv.Host, Port: srv.Port, Prefix: "tracing-attrs"})
		r := newRig(t, store, f)
		_, err := r.store.Get(context.Background(), "session", secretKey)
		assert.ErrorIs(t, err, session.ErrNotFound)
		span := r.only(t)
		got := attrMap(span.Attributes())
		assert.Equal(t, "memcached", got["db.system.name"].AsString())
		assert.Equal(t, srv.Host, got["server.address"].AsString())
		assert.Equal(t, int64(srv.Port), got["server.port"].AsInt64())
		assert.Equal(t, "get session", span.Name())
		_, isReporter := r.store.(session.EndpointReporter)
		assert.True(t, isReporter)
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
