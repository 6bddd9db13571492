package tracing_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/tracing"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Docker's client (the memcached container test) keeps idle HTTP
		// connections and the testcontainers reaper; they are not ours.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("github.com/testcontainers/testcontainers-go.(*Reaper).connect.func1"),
	)
}

// Distinctive strings: a test fails if any of them shows up in telemetry.
const (
	secretKey    = "KEYsecret0123456789abcdefghijklmnopqrstuvw"
	secretOldKey = "OLDsecret0123456789abcdefghijklmnopqrstuvw"
	secretValue  = "VALUEsecret-do-not-record"
	secretSubj   = "SUBJECTsecret-alice"
	audience     = "realm-a"
)

var t0 = time.Unix(1_700_000_000, 0)

// rig is one wrapped Storage with the recorders of its spans and metric
// points.
type rig struct {
	store  *tracing.Storage
	probe  *probe // the probe inside store, for hooks; nil if store wraps none
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
}

// newRig wraps inner with recording providers and opts; p is the probe
// inside inner, for the test's hooks (nil when there is none).
func newRig(t *testing.T, inner session.Storage, p *probe, opts ...tracing.Option) *rig {
	t.Helper()
	r := &rig{probe: p, spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		assert.NoError(t, r.tp.Shutdown(context.Background()))
		assert.NoError(t, mp.Shutdown(context.Background()))
	})
	opts = append([]tracing.Option{tracing.WithTracerProvider(r.tp), tracing.WithMeterProvider(mp)}, opts...)
	r.store = tracing.New(inner, opts...)
	return r
}

// newProbeRig wraps a fresh probe.
func newProbeRig(t *testing.T, opts ...tracing.Option) *rig {
	p := newProbe()
	return newRig(t, p, p, opts...)
}

func (r *rig) only(t *testing.T) sdktrace.ReadOnlySpan {
	t.Helper()
	ended := r.spans.Ended()
	require.Len(t, ended, 1)
	return ended[0]
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func (r *rig) histogram(t *testing.T) metricdata.Histogram[float64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(context.Background(), &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	require.Equal(t, tracing.ScopeName, rm.ScopeMetrics[0].Scope.Name)
	require.Len(t, rm.ScopeMetrics[0].Metrics, 1)
	m := rm.ScopeMetrics[0].Metrics[0]
	require.Equal(t, "db.client.operation.duration", m.Name)
	require.Equal(t, "s", m.Unit)
	h, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "data is %T", m.Data)
	return h
}
