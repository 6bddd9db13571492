package tracing_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sessionstore/sessionstore/conformance"
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

// TestConformanceMemory runs the whole contract through the wrapper on the
// memory driver; the Close cases close the driver through the wrapper.
// The same on memcached is in conformance_memcached_test.go.
func TestConformanceMemory(t *testing.T) {
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
			store := memory.New(memory.WithClock(now))
			// Closing twice is harmless (contract 2.16): the Close cases
			// close it through the wrapper first.
			t.Cleanup(func() { assert.NoError(t, store.Close()) })
			return tracing.New(store, append(recordingProviders(t), tracing.WithSystem("memory"))...)
		},
		FakeClock: true,
	})
}
