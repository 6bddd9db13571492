package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
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

type rig struct {
	store  session.Storage
	fake   *fakeStore
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
}

func newRig(t *testing.T, inner session.Storage, fake *fakeStore, opts ...tracing.Option) *rig {
	t.Helper()
	r := &rig{fake: fake, spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
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

func newFakeRig(t *testing.T, opts ...tracing.Option) *rig {
	f := newFake()
	return newRig(t, f, f, opts...)
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

func TestSpanPerOperation(t *testing.T) {
	alice := []session.Pair{{Audience: audience, Subject: secretSubj}}
	tests := []struct {
		name     string
		prepare  func(s session.Storage) // runs before the recorder is reset
		call     func(s session.Storage) error
		spanName string
		op       string
		extra    map[attribute.Key]attribute.Value
		absent   []attribute.Key
	}{
		{
			name: "set",
			call: func(s session.Storage) error {
				return s.Set(context.Background(), "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{})
			},
			spanName: "set session", op: "set",
			absent: []attribute.Key{tracing.AttrRotation, tracing.AttrRemember, tracing.AttrMetadataCount},
		},
		{
			name: "set rotation with metadata",
			call: func(s session.Storage) error {
				return s.Set(context.Background(), "remember", secretKey, []byte(secretValue), time.Hour, t0,
					session.SetOptions{OldKey: secretOldKey, Remember: true, Metadata: alice})
			},
			spanName: "set remember", op: "set",
			extra: map[attribute.Key]attribute.Value{
				tracing.AttrRotation:      attribute.BoolValue(true),
				tracing.AttrRemember:      attribute.BoolValue(true),
				tracing.AttrMetadataCount: attribute.IntValue(1),
			},
		},
		{
			name: "get hit",
			prepare: func(s session.Storage) {
				_ = s.Set(context.Background(), "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{})
			},
			call: func(s session.Storage) error {
				_, err := s.Get(context.Background(), "session", secretKey)
				return err
			},
			spanName: "get session", op: "get",
			extra: map[attribute.Key]attribute.Value{tracing.AttrFound: attribute.BoolValue(true)},
		},
		{
			name: "delete with metadata",
			call: func(s session.Storage) error {
				return s.Delete(context.Background(), "session", secretKey, t0, alice)
			},
			spanName: "delete session", op: "delete",
			extra: map[attribute.Key]attribute.Value{tracing.AttrMetadataCount: attribute.IntValue(1)},
		},
		{
			name: "read metadata",
			prepare: func(s session.Storage) {
				_ = s.Set(context.Background(), "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: alice})
			},
			call: func(s session.Storage) error {
				_, err := s.ReadMetadata(context.Background(), "session", audience, secretSubj, t0)
				return err
			},
			spanName: "read_metadata session", op: "read_metadata",
			extra: map[attribute.Key]attribute.Value{
				tracing.AttrAudience: attribute.StringValue(audience),
				tracing.AttrListed:   attribute.IntValue(1),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRig(t)
			if tc.prepare != nil {
				tc.prepare(r.store)
				r.spans.Reset()
			}
			require.NoError(t, tc.call(r.store))

			span := r.only(t)
			assert.Equal(t, tc.spanName, span.Name())
			assert.Equal(t, trace.SpanKindClient, span.SpanKind())
			assert.Equal(t, codes.Unset, span.Status().Code)
			assert.Equal(t, tracing.ScopeName, span.InstrumentationScope().Name)
			got := attrMap(span.Attributes())
			want := map[attribute.Key]attribute.Value{
				"db.system.name":     attribute.StringValue(tracing.DefaultSystem),
				"db.operation.name":  attribute.StringValue(tc.op),
				"db.collection.name": attribute.StringValue(strings.Fields(tc.spanName)[1]),
			}
			for k, v := range tc.extra {
				want[k] = v
			}
			assert.Equal(t, want, got)
			for _, k := range tc.absent {
				assert.NotContains(t, got, k)
			}
			assert.NotContains(t, got, attribute.Key("error.type"))
			assert.NotContains(t, got, attribute.Key("server.address"))
			assert.Empty(t, span.Events())
		})
	}
}

func TestGetMissIsNotAnError(t *testing.T) {
	r := newFakeRig(t)
	_, err := r.store.Get(context.Background(), "session", secretKey)
	require.ErrorIs(t, err, session.ErrNotFound)

	span := r.only(t)
	assert.Equal(t, codes.Unset, span.Status().Code)
	assert.Empty(t, span.Status().Description)
	got := attrMap(span.Attributes())
	assert.Equal(t, attribute.BoolValue(false), got[tracing.AttrFound])
	assert.NotContains(t, got, attribute.Key("error.type"))

	h := r.histogram(t)
	require.Len(t, h.DataPoints, 1)
	_, hasErr := h.DataPoints[0].Attributes.Value("error.type")
	assert.False(t, hasErr, "a miss is recorded without error.type")
}

func TestFailureHasErrorType(t *testing.T) {
	tests := []struct {
		name    string
		fail    error // injected into the fake; nil: the call's own input fails
		call    func(s session.Storage) error
		errType string
	}{
		{"ttl zero", nil, func(s session.Storage) error {
			return s.Set(context.Background(), "session", secretKey, []byte(secretValue), 0, t0, session.SetOptions{})
		}, tracing.ErrorTypeInvalidArgument},
		{"value too large", nil, func(s session.Storage) error {
			return s.Set(context.Background(), "session", secretKey, make([]byte, 2000), time.Hour, t0, session.SetOptions{})
		}, tracing.ErrorTypeTooLarge},
		{"empty audience", nil, func(s session.Storage) error {
			_, err := s.ReadMetadata(context.Background(), "session", "", secretSubj, t0)
			return err
		}, tracing.ErrorTypeInvalidArgument},
		{"cancelled ctx", nil, func(s session.Storage) error {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := s.Get(ctx, "session", secretKey)
			return err
		}, tracing.ErrorTypeCanceled},
		{"deadline", nil, func(s session.Storage) error {
			ctx, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
			defer cancel()
			return s.Delete(ctx, "session", secretKey, t0, nil)
		}, tracing.ErrorTypeDeadlineExceeded},
		{"corrupt index", fmt.Errorf("fake: %w", session.ErrCorruptIndex), func(s session.Storage) error {
			_, err := s.ReadMetadata(context.Background(), "session", audience, secretSubj, t0)
			return err
		}, tracing.ErrorTypeCorruptIndex},
		{"full", session.ErrFull, func(s session.Storage) error {
			return s.Set(context.Background(), "session", secretKey, nil, time.Hour, t0, session.SetOptions{})
		}, tracing.ErrorTypeFull},
		{"closed", fmt.Errorf("fake: %w", session.ErrClosed), func(s session.Storage) error {
			_, err := s.Get(context.Background(), "session", secretKey)
			return err
		}, tracing.ErrorTypeClosed},
		{"transport error: Go type name", fmt.Errorf("fake: %w", &leakyError{reply: "SERVER_ERROR " + secretKey}), func(s session.Storage) error {
			_, err := s.Get(context.Background(), "session", secretKey)
			return err
		}, "*tracing_test.leakyError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRig(t)
			r.fake.fail = tc.fail
			err := tc.call(r.store)
			require.Error(t, err)
			if tc.fail != nil {
				assert.Same(t, tc.fail, err, "the error passes through unchanged")
			}

			span := r.only(t)
			assert.Equal(t, codes.Error, span.Status().Code)
			assert.Equal(t, tc.errType, span.Status().Description, "the description is the fixed error.type")
			assert.Equal(t, attribute.StringValue(tc.errType), attrMap(span.Attributes())["error.type"])
			assert.Empty(t, span.Events(), "no RecordError: error texts may quote keys")

			h := r.histogram(t)
			require.Len(t, h.DataPoints, 1)
			v, ok := h.DataPoints[0].Attributes.Value("error.type")
			require.True(t, ok)
			assert.Equal(t, tc.errType, v.AsString())
		})
	}
}

func TestParentChild(t *testing.T) {
	r := newFakeRig(t)
	ctx, parent := r.tp.Tracer("app").Start(context.Background(), "handler")
	require.NoError(t, r.store.Set(ctx, "session", secretKey, nil, time.Hour, t0, session.SetOptions{}))
	parent.End()

	ended := r.spans.Ended()
	require.Len(t, ended, 2)
	child := ended[0]
	assert.Equal(t, "set session", child.Name())
	assert.Equal(t, parent.SpanContext().TraceID(), child.SpanContext().TraceID())
	assert.Equal(t, parent.SpanContext().SpanID(), child.Parent().SpanID())

	// The driver runs inside the operation's span, so its own spans nest.
	assert.Equal(t, child.SpanContext(), trace.SpanContextFromContext(r.fake.lastCtx))
}

func TestHistogram(t *testing.T) {
	f := newFake()
	ep := session.Endpoint{System: "memcached", Address: "cache.internal", Port: 11211}
	r := newRig(t, &reporterFake{fakeStore: f, ep: ep}, f, tracing.WithAttributes(attribute.String("deployment.environment.name", "test")))
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

	s := tracing.New(newFake())
	_, err := s.Get(context.Background(), "session", secretKey)
	require.ErrorIs(t, err, session.ErrNotFound)
	require.Len(t, spans.Ended(), 1, "the default TracerProvider is the global one")
	assert.Equal(t, "get session", spans.Ended()[0].Name())

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	assert.Empty(t, rm.ScopeMetrics, "no metrics without WithMeterProvider")

	// WithMeterProvider(nil) also means none; a nil TracerProvider means
	// the global one.
	s = tracing.New(newFake(), tracing.WithMeterProvider(nil), tracing.WithTracerProvider(nil), nil)
	_, _ = s.Get(context.Background(), "session", secretKey)
	assert.Len(t, spans.Ended(), 2)
	require.NoError(t, reader.Collect(context.Background(), &rm))
	assert.Empty(t, rm.ScopeMetrics)
}

func TestEndpointAttributes(t *testing.T) {
	tests := []struct {
		name   string
		ep     *session.Endpoint // nil: the driver does not report one
		opts   []tracing.Option
		system string
		addr   string
		port   int64
	}{
		{"driver reports all", &session.Endpoint{System: "memcached", Address: "10.0.0.1", Port: 11211}, nil, "memcached", "10.0.0.1", 11211},
		{"driver system wins over WithSystem", &session.Endpoint{System: "memcached"}, []tracing.Option{tracing.WithSystem("x")}, "memcached", "", 0},
		{"unix socket: no port", &session.Endpoint{System: "memcached", Address: "/run/mc.sock"}, nil, "memcached", "/run/mc.sock", 0},
		{"WithSystem when driver has none", &session.Endpoint{Address: "h"}, []tracing.Option{tracing.WithSystem("redis")}, "redis", "h", 0},
		{"no reporter, WithSystem", nil, []tracing.Option{tracing.WithSystem("memory")}, "memory", "", 0},
		{"no reporter, default", nil, nil, tracing.DefaultSystem, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			var inner session.Storage = f
			if tc.ep != nil {
				inner = &reporterFake{fakeStore: f, ep: *tc.ep}
			}
			r := newRig(t, inner, f, tc.opts...)
			require.NoError(t, r.store.Delete(context.Background(), "session", secretKey, t0, nil))
			got := attrMap(r.only(t).Attributes())
			assert.Equal(t, tc.system, got["db.system.name"].AsString())
			if tc.addr == "" {
				assert.NotContains(t, got, attribute.Key("server.address"))
			} else {
				assert.Equal(t, tc.addr, got["server.address"].AsString())
			}
			if tc.port == 0 {
				assert.NotContains(t, got, attribute.Key("server.port"))
			} else {
				assert.Equal(t, tc.port, got["server.port"].AsInt64())
			}
		})
	}
}

// TestNothingSecretIsRecorded drives every operation, on success and on
// failure, with distinctive keys, values and subjects, and searches every
// piece of recorded telemetry for them.
func TestNothingSecretIsRecorded(t *testing.T) {
	r := newFakeRig(t, tracing.WithAttributes(attribute.String("team", "web")))
	ctx := context.Background()
	md := []session.Pair{{Audience: audience, Subject: secretSubj}}
	s := r.store
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretOldKey, []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{OldKey: secretOldKey, Metadata: md})
	_, _ = s.Get(ctx, "session", secretKey)
	_, _ = s.Get(ctx, "session", secretOldKey)
	_, _ = s.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	_ = s.Delete(ctx, "session", secretKey, t0, md)
	// Failures, with the secrets in the arguments.
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), 0, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretKey+";", []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{OldKey: secretKey})
	_, _ = s.ReadMetadata(ctx, "session", "", secretSubj, t0)
	_ = s.Delete(ctx, "session", secretKey, t0, []session.Pair{{Subject: secretSubj}})
	// A driver error whose text quotes the key and the value.
	r.fake.fail = &leakyError{reply: secretKey + " " + secretValue + " " + secretSubj}
	_, _ = s.Get(ctx, "session", secretKey)
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_, _ = s.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	_ = s.Delete(ctx, "session", secretKey, t0, md)

	var texts []string
	kv := func(attrs []attribute.KeyValue) {
		for _, a := range attrs {
			texts = append(texts, string(a.Key), a.Value.Emit())
		}
	}
	spans := r.spans.Ended()
	require.Len(t, spans, 16)
	for _, sp := range spans {
		texts = append(texts, sp.Name(), sp.Status().Description)
		kv(sp.Attributes())
		kv(sp.Resource().Attributes())
		for _, ev := range sp.Events() {
			texts = append(texts, ev.Name)
			kv(ev.Attributes)
		}
		for _, l := range sp.Links() {
			kv(l.Attributes)
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(ctx, &rm))
	kv(rm.Resource.Attributes())
	points := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			texts = append(texts, m.Name, m.Description, m.Unit)
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				points++
				kv(dp.Attributes.ToSlice())
				for _, ex := range dp.Exemplars {
					kv(ex.FilteredAttributes)
				}
			}
		}
	}
	require.NotZero(t, points)
	all := strings.Join(texts, "\n")
	// The search is not vacuous: what may be recorded is there.
	require.Contains(t, all, "session")
	require.Contains(t, all, audience)
	require.Contains(t, all, "web")
	for _, secret := range []string{"secret", secretKey, secretOldKey, secretValue, secretSubj} {
		assert.NotContains(t, all, secret)
	}
}

func TestPassThrough(t *testing.T) {
	r := newFakeRig(t)
	ctx := context.Background()
	value := []byte{0, 1, 2, 255}
	require.NoError(t, r.store.Set(ctx, "session", secretKey, value, time.Hour, t0,
		session.SetOptions{Metadata: []session.Pair{{Audience: audience, Subject: secretSubj}}}))
	got, err := r.store.Get(ctx, "session", secretKey)
	require.NoError(t, err)
	assert.Equal(t, value, got)
	live, err := r.store.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	require.NoError(t, err)
	assert.Equal(t, map[string]time.Time{secretKey: t0.Add(time.Hour)}, live)

	// Errors are the driver's own values, not wrapped or replaced.
	sentinel := errors.New("fake: boom")
	r.fake.fail = sentinel
	_, err = r.store.Get(ctx, "session", secretKey)
	assert.Same(t, sentinel, err)
	assert.Same(t, sentinel, r.store.Set(ctx, "session", secretKey, value, time.Hour, t0, session.SetOptions{}))
	assert.Same(t, sentinel, r.store.Delete(ctx, "session", secretKey, t0, nil))
	_, err = r.store.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	assert.Same(t, sentinel, err)

	var ae *session.ArgumentError
	r.fake.fail = nil
	err = r.store.Set(ctx, "", secretKey, value, time.Hour, t0, session.SetOptions{})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "name", ae.Arg)
	// An empty cookie name gives the bare operation as the span name.
	spans := r.spans.Ended()
	assert.Equal(t, "set", spans[len(spans)-1].Name())
}

func TestOptionalInterfaces(t *testing.T) {
	ep := session.Endpoint{System: "memcached", Address: "a", Port: 1}
	f := newFake()
	tests := []struct {
		name     string
		inner    session.Storage
		closer   bool
		reporter bool
	}{
		{"plain", f, false, false},
		{"closer", &closerFake{fakeStore: f}, true, false},
		{"reporter", &reporterFake{fakeStore: f, ep: ep}, false, true},
		{"both", &closerReporterFake{closerFake: &closerFake{fakeStore: f}, ep: ep}, true, true},
	}
	for _, tc := range tests {
		for _, tp := range []trace.TracerProvider{tracenoop.NewTracerProvider(), sdktrace.NewTracerProvider()} {
			t.Run(fmt.Sprintf("%s/%T", tc.name, tp), func(t *testing.T) {
				s := tracing.New(tc.inner, tracing.WithTracerProvider(tp))
				c, isCloser := s.(io.Closer)
				assert.Equal(t, tc.closer, isCloser)
				if isCloser {
					assert.Same(t, errCloseSentinel, c.Close(), "Close is forwarded with its result")
				}
				er, isReporter := s.(session.EndpointReporter)
				assert.Equal(t, tc.reporter, isReporter)
				if isReporter {
					assert.Equal(t, ep, er.Endpoint())
				}
				u, ok := s.(interface{ Unwrap() session.Storage })
				require.True(t, ok)
				assert.Same(t, tc.inner, u.Unwrap())
			})
		}
	}
}

func TestNilContextDoesNotPanic(t *testing.T) {
	r := newFakeRig(t)
	var nilCtx context.Context
	require.NotPanics(t, func() {
		_, err := r.store.Get(nilCtx, "session", secretKey)
		require.ErrorIs(t, err, session.ErrInvalidArgument)
	})
	span := r.only(t)
	assert.Equal(t, codes.Error, span.Status().Code)
	assert.Nil(t, r.fake.lastCtx, "the driver sees the nil ctx and rejects it itself")
	assert.Len(t, r.histogram(t).DataPoints, 1)
}

// TestNoopProviderIsPassThrough checks the design goal of the no-op path:
// the wrapper hands the caller's own ctx to the driver (no span was started)
// and adds no allocation.
func TestNoopProviderIsPassThrough(t *testing.T) {
	f := newFake()
	s := tracing.New(f, tracing.WithTracerProvider(tracenoop.NewTracerProvider()))
	ctx := context.WithValue(context.Background(), struct{}{}, 1)
	require.NoError(t, f.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{}))
	_, err := s.Get(ctx, "session", secretKey)
	require.NoError(t, err)
	assert.Equal(t, ctx, f.lastCtx)

	direct := testing.AllocsPerRun(100, func() { _, _ = f.Get(ctx, "session", secretKey) })
	wrapped := testing.AllocsPerRun(100, func() { _, _ = s.Get(ctx, "session", secretKey) })
	assert.Equal(t, direct, wrapped)
}

func TestSpanNamesWithManyCookieNames(t *testing.T) {
	r := newFakeRig(t)
	// More names than the span name cache keeps: every span is still named
	// right.
	for i := range 100 {
		_, _ = r.store.Get(context.Background(), fmt.Sprintf("c%d", i), secretKey)
	}
	_, _ = r.store.Get(context.Background(), "c7", secretKey)
	_, _ = r.store.Get(context.Background(), "c99", secretKey)
	spans := r.spans.Ended()
	require.Len(t, spans, 102)
	for i := range 100 {
		assert.Equal(t, fmt.Sprintf("get c%d", i), spans[i].Name())
	}
	assert.Equal(t, "get c7", spans[100].Name())
	assert.Equal(t, "get c99", spans[101].Name())
}

func TestNilStorage(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := context.Background()
	require.NotPanics(t, func() {
		_, err := r.store.Get(ctx, "session", secretKey)
		assert.ErrorIs(t, err, session.ErrInvalidArgument)
		assert.ErrorIs(t, r.store.Set(ctx, "session", secretKey, nil, time.Hour, t0, session.SetOptions{}), session.ErrInvalidArgument)
		assert.ErrorIs(t, r.store.Delete(ctx, "session", secretKey, t0, nil), session.ErrInvalidArgument)
		_, err = r.store.ReadMetadata(ctx, "session", audience, secretSubj, t0)
		assert.ErrorIs(t, err, session.ErrInvalidArgument)
	})
	assert.Len(t, r.spans.Ended(), 4)
	u, ok := r.store.(interface{ Unwrap() session.Storage })
	require.True(t, ok)
	assert.Nil(t, u.Unwrap())
}

func TestConcurrentUse(t *testing.T) {
	r := newFakeRig(t)
	ctx := context.Background()
	const workers, calls = 8, 50
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range calls {
				name := fmt.Sprintf("n%d", (w*calls+i)%80) // more names than the cache keeps
				_ = r.store.Set(ctx, name, secretKey, nil, time.Hour, t0, session.SetOptions{})
				_, _ = r.store.Get(ctx, name, secretKey)
			}
		}()
	}
	for range workers {
		<-done
	}
	spans := r.spans.Ended()
	require.Len(t, spans, 2*workers*calls)
	for _, sp := range spans {
		name := attrMap(sp.Attributes())["db.collection.name"].AsString()
		op := attrMap(sp.Attributes())["db.operation.name"].AsString()
		assert.Equal(t, op+" "+name, sp.Name())
	}
}
