package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
	"github.com/sessionstore/sessionstore/tracing"
)

func TestPassThrough(t *testing.T) {
	r := newProbeRig(t)
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
	sentinel := errors.New("probe: boom")
	r.probe.failWith(sentinel)
	_, err = r.store.Get(ctx, "session", secretKey)
	assert.Same(t, sentinel, err)
	assert.Same(t, sentinel, r.store.Set(ctx, "session", secretKey, value, time.Hour, t0, session.SetOptions{}))
	assert.Same(t, sentinel, r.store.Delete(ctx, "session", secretKey, t0, nil))
	_, err = r.store.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	assert.Same(t, sentinel, err)

	var ae *session.ArgumentError
	r.probe.failWith(nil)
	err = r.store.Set(ctx, "", secretKey, value, time.Hour, t0, session.SetOptions{})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "name", ae.Arg)
	// An empty cookie name gives the bare operation as the span name.
	spans := r.spans.Ended()
	assert.Equal(t, "set", spans[len(spans)-1].Name())
}

// TestInterfaces checks what the one wrapper type offers besides the
// operations, whatever the driver: Close forwarded with its result, the
// driver's endpoint (zero when it reports none), and Unwrap.
func TestInterfaces(t *testing.T) {
	ep := driver.Endpoint{System: "memcached", Address: "a", Port: 1}
	tests := []struct {
		name     string
		inner    func(p *probe) session.Storage
		endpoint driver.Endpoint
	}{
		{"plain", func(p *probe) session.Storage { return p }, driver.Endpoint{}},
		{"reporter", func(p *probe) session.Storage { return &reporterProbe{probe: p, ep: ep} }, ep},
	}
	for _, tc := range tests {
		for _, tp := range []trace.TracerProvider{tracenoop.NewTracerProvider(), sdktrace.NewTracerProvider()} {
			t.Run(fmt.Sprintf("%s/%T", tc.name, tp), func(t *testing.T) {
				p := newProbe()
				inner := tc.inner(p)
				s := tracing.New(inner, tracing.WithTracerProvider(tp))
				var _ session.Storage = s
				var _ driver.EndpointReporter = s

				assert.Equal(t, tc.endpoint, s.Endpoint())
				assert.Same(t, inner, s.Unwrap())
				assert.Same(t, errCloseSentinel, s.Close(), "Close is forwarded with its result")
				assert.Equal(t, 1, p.closeCount())
				_, err := s.Get(context.Background(), "session", secretKey)
				assert.ErrorIs(t, err, session.ErrClosed, "the wrapped driver is closed")
			})
		}
	}
}

// TestCorruptIndexWithEntries: a damaged index is a real fault, recorded as
// error.type, but ReadMetadata's entries and error both reach the caller
// unchanged (RevokeAll revokes the entries).
func TestCorruptIndexWithEntries(t *testing.T) {
	p := newProbe()
	r := newRig(t, damagedIndex{p}, p)
	ctx := context.Background()
	md := []session.Pair{{Audience: audience, Subject: secretSubj}}
	require.NoError(t, r.store.Set(ctx, "session", secretKey, nil, time.Hour, t0, session.SetOptions{Metadata: md}))
	require.NoError(t, r.store.Set(ctx, "session", secretOldKey, nil, time.Hour, t0, session.SetOptions{Metadata: md}))
	r.spans.Reset()

	live, err := r.store.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	assert.Same(t, errDamaged, err, "the error passes through unchanged")
	want := map[string]time.Time{secretKey: t0.Add(time.Hour), secretOldKey: t0.Add(time.Hour)}
	assert.Equal(t, want, live, "the well-formed entries pass through beside the error")

	span := r.only(t)
	assert.Equal(t, codes.Error, span.Status().Code)
	assert.Equal(t, tracing.ErrorTypeCorruptIndex, span.Status().Description)
	got := attrMap(span.Attributes())
	assert.Equal(t, attribute.StringValue(tracing.ErrorTypeCorruptIndex), got["error.type"])
	assert.Equal(t, attribute.IntValue(2), got[tracing.AttrListed], "the entries returned are counted")

	h := r.histogram(t)
	var corrupt int
	for _, dp := range h.DataPoints {
		if v, ok := dp.Attributes.Value("error.type"); ok && v.AsString() == tracing.ErrorTypeCorruptIndex {
			corrupt++
		}
	}
	assert.Equal(t, 1, corrupt, "one measurement with error.type corrupt_index")

	n, err := session.RevokeAll(ctx, r.store, "session", audience, secretSubj, t0)
	require.NoError(t, err, "RevokeAll revokes what a damaged index lists")
	assert.Equal(t, 2, n)
}

func TestNilContextDoesNotPanic(t *testing.T) {
	r := newProbeRig(t)
	var nilCtx context.Context
	require.NotPanics(t, func() {
		_, err := r.store.Get(nilCtx, "session", secretKey)
		require.ErrorIs(t, err, session.ErrInvalidArgument)
	})
	span := r.only(t)
	assert.Equal(t, codes.Error, span.Status().Code)
	assert.Nil(t, r.probe.seen(), "the driver sees the nil ctx and rejects it itself")
	assert.Len(t, r.histogram(t).DataPoints, 1)
}

// TestNoopProviderIsPassThrough checks the design goal of the no-op path:
// the wrapper hands the caller's own ctx to the driver (no span was started)
// and adds no allocation.
func TestNoopProviderIsPassThrough(t *testing.T) {
	f := newProbe()
	s := tracing.New(f, tracing.WithTracerProvider(tracenoop.NewTracerProvider()))
	ctx := context.WithValue(context.Background(), struct{}{}, 1)
	require.NoError(t, f.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{}))
	_, err := s.Get(ctx, "session", secretKey)
	require.NoError(t, err)
	assert.Equal(t, ctx, f.seen())

	direct := testing.AllocsPerRun(100, func() { _, _ = f.Get(ctx, "session", secretKey) })
	wrapped := testing.AllocsPerRun(100, func() { _, _ = s.Get(ctx, "session", secretKey) })
	assert.Equal(t, direct, wrapped)
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
		assert.ErrorIs(t, r.store.Close(), session.ErrInvalidArgument)
	})
	assert.Len(t, r.spans.Ended(), 4, "the four operations are traced, Close is not")
	for _, sp := range r.spans.Ended() {
		assert.Equal(t, tracing.ErrorTypeInvalidArgument, sp.Status().Description)
	}
	assert.Nil(t, r.store.Unwrap())
	assert.Equal(t, driver.Endpoint{}, r.store.Endpoint())

	// The zero Storage, and a nil *Storage, wrap nothing either: errors,
	// not panics.
	for _, s := range []*tracing.Storage{new(tracing.Storage), nil} {
		require.NotPanics(t, func() {
			_, err := s.Get(ctx, "session", secretKey)
			assert.ErrorIs(t, err, session.ErrInvalidArgument)
			assert.ErrorIs(t, s.Set(ctx, "session", secretKey, nil, time.Hour, t0, session.SetOptions{}), session.ErrInvalidArgument)
			assert.ErrorIs(t, s.Delete(ctx, "session", secretKey, t0, nil), session.ErrInvalidArgument)
			_, err = s.ReadMetadata(ctx, "session", audience, secretSubj, t0)
			assert.ErrorIs(t, err, session.ErrInvalidArgument)
			assert.ErrorIs(t, s.Close(), session.ErrInvalidArgument)
			assert.Nil(t, s.Unwrap())
			assert.Equal(t, driver.Endpoint{}, s.Endpoint())
		})
	}
}
