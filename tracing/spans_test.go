package tracing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
	"github.com/sessionstore/sessionstore/tracing"
)

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
			r := newProbeRig(t)
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
	r := newProbeRig(t)
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
		fail    error // injected into the probe; nil: the call's own input fails
		call    func(s session.Storage) error
		errType string
	}{
		{"ttl zero", nil, func(s session.Storage) error {
			return s.Set(context.Background(), "session", secretKey, []byte(secretValue), 0, t0, session.SetOptions{})
		}, tracing.ErrorTypeInvalidArgument},
		{"value too large", fmt.Errorf("probe: %w", driver.TooLarge("value", 1024)), func(s session.Storage) error {
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
		{"corrupt index", fmt.Errorf("probe: %w", session.ErrCorruptIndex), func(s session.Storage) error {
			_, err := s.ReadMetadata(context.Background(), "session", audience, secretSubj, t0)
			return err
		}, tracing.ErrorTypeCorruptIndex},
		{"full", session.ErrFull, func(s session.Storage) error {
			return s.Set(context.Background(), "session", secretKey, nil, time.Hour, t0, session.SetOptions{})
		}, tracing.ErrorTypeFull},
		{"closed", fmt.Errorf("probe: %w", session.ErrClosed), func(s session.Storage) error {
			_, err := s.Get(context.Background(), "session", secretKey)
			return err
		}, tracing.ErrorTypeClosed},
		{"transport error: Go type name", fmt.Errorf("probe: %w", &leakyError{reply: "SERVER_ERROR " + secretKey}), func(s session.Storage) error {
			_, err := s.Get(context.Background(), "session", secretKey)
			return err
		}, "*tracing_test.leakyError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newProbeRig(t)
			r.probe.failWith(tc.fail)
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
	r := newProbeRig(t)
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
	assert.Equal(t, child.SpanContext(), trace.SpanContextFromContext(r.probe.seen()))
}

func TestEndpointAttributes(t *testing.T) {
	tests := []struct {
		name   string
		ep     *driver.Endpoint // nil: the driver does not report one
		opts   []tracing.Option
		system string
		addr   string
		port   int64
	}{
		{"driver reports all", &driver.Endpoint{System: "memcached", Address: "10.0.0.1", Port: 11211}, nil, "memcached", "10.0.0.1", 11211},
		{"driver system wins over WithSystem", &driver.Endpoint{System: "memcached"}, []tracing.Option{tracing.WithSystem("x")}, "memcached", "", 0},
		{"unix socket: no port", &driver.Endpoint{System: "memcached", Address: "/run/mc.sock"}, nil, "memcached", "/run/mc.sock", 0},
		{"WithSystem when driver has none", &driver.Endpoint{Address: "h"}, []tracing.Option{tracing.WithSystem("redis")}, "redis", "h", 0},
		{"no reporter, WithSystem", nil, []tracing.Option{tracing.WithSystem("memory")}, "memory", "", 0},
		{"no reporter, default", nil, nil, tracing.DefaultSystem, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newProbe()
			var inner session.Storage = p
			if tc.ep != nil {
				inner = &reporterProbe{probe: p, ep: *tc.ep}
			}
			r := newRig(t, inner, p, tc.opts...)
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

func TestSpanNamesWithManyCookieNames(t *testing.T) {
	r := newProbeRig(t)
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

func TestConcurrentUse(t *testing.T) {
	r := newProbeRig(t)
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
