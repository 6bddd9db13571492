package tracing_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, _ func() time.Time) session.Storage {
			// One server for the run, a key prefix per subtest; the
			// helper closes the Storage at cleanup.
			store := memcachedtest.NewStorage(t, memcached.Config{
				Host:   srv.Host,
				Port:   srv.Port,
				Prefix: fmt.Sprintf("tracing%d", prefixSeq.Add(1)),
			})
			return tracing.New(store, recordingProviders(t)...)
		},
		FakeClock: false,
		Capabilities: conformance.Capabilities{
			MaxValueSize:   memcached.DefaultMaxValueSize,
			StaleMayExtend: true,
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
