package tracing_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
	"github.com/sessionstore/sessionstore/tracing"
)

func TestHistogram(t *testing.T) {
	p := newProbe()
	ep := driver.Endpoint{System: "memcached", Address: "cache.internal", Port: 11211}
	r := newRig(t, &reporterProbe{probe: p, ep: ep}, p, tracing.WithAttributes(attribute.String("deployment.environment.name", "test")))
	ctx := context.Background()
	require.NoError(t, r.store.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{}))
	_, err := r.store.Get(ctx, "session", secretKey)
	require.NoError(t, err)
	_, err = r.store.Get(ctx, "session", secretKey)
	require.NoError(t, err)
	require.Error(t, r.store.Set(ctx, "session", secretKey, nil, -time.Second, t0, session.SetOptions{}))

	h := r.histogram(t)
	assert.Equal(t, metricdata.CumulativeTemporality, h.Temporality)
	type point struct {
		op, errType string
		count       uint64
	}
	var got []point
	for _, dp := range h.DataPoints {
		assert.Equal(t, []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}, dp.Bounds)
		attrs := attrMap(dp.Attributes.ToSlice())
		assert.Equal(t, "memcached", attrs["db.system.name"].AsString())
		assert.Equal(t, "cache.internal", attrs["server.address"].AsString())
		assert.Equal(t, int64(11211), attrs["server.port"].AsInt64())
		assert.Equal(t, "session", attrs["db.collection.name"].AsString())
		assert.Equal(t, "test", attrs["deployment.environment.name"].AsString())
		assert.GreaterOrEqual(t, dp.Sum, 0.0)
		got = append(got, point{attrs["db.operation.name"].AsString(), attrs["error.type"].AsString(), dp.Count})
	}
	assert.ElementsMatch(t, []point{
		{"set", "", 1},
		{"get", "", 2},
		{"set", tracing.ErrorTypeInvalidArgument, 1},
	}, got)
}

// TestGlobalProviders checks the defaults: spans go to the global
// TracerProvider as it is when New runs, and metrics are opt-in (the global
// MeterProvider is not used). Setting the globals cannot be undone, so the
// checks run in a child process (the benchmarks measure the unset global).
func TestGlobalProviders(t *testing.T) {
	if os.Getenv("TRACING_GLOBAL_CHILD") == "1" {
		globalChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalProviders$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "TRACING_GLOBAL_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child:\n%s", out)
	require.Contains(t, string(out), "--- PASS: TestGlobalProviders", "the child ran the checks:\n%s", out)
}

func globalChild(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() {
		assert.NoError(t, tp.Shutdown(context.Background()))
		assert.NoError(t, mp.Shutdown(context.Background()))
	}()
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)

	s := tracing.New(newProbe())
	_, err := s.Get(context.Background(), "session", secretKey)
	require.ErrorIs(t, err, session.ErrNotFound)
	require.Len(t, spans.Ended(), 1, "the default TracerProvider is the global one")
	assert.Equal(t, "get session", spans.Ended()[0].Name())

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	assert.Empty(t, rm.ScopeMetrics, "no metrics without WithMeterProvider")

	// WithMeterProvider(nil) also means none; a nil TracerProvider means
	// the global one.
	s = tracing.New(newProbe(), tracing.WithMeterProvider(nil), tracing.WithTracerProvider(nil), nil)
	_, _ = s.Get(context.Background(), "session", secretKey)
	assert.Len(t, spans.Ended(), 2)
	require.NoError(t, reader.Collect(context.Background(), &rm))
	assert.Empty(t, rm.ScopeMetrics)
}
