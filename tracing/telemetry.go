package tracing

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// startTracing sets up the tracer and the per-operation span start options.
// A noop.TracerProvider leaves tracing off, so that the wrapper does not
// even start no-op spans.
func (t *Storage) startTracing(tp trace.TracerProvider, static []attribute.KeyValue) {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if _, isNoop := tp.(tracenoop.TracerProvider); isNoop {
		return
	}
	t.tracer = tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	for op := range numOps {
		t.startOpts[op] = []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(operationAttributes(static, op)...),
		}
	}
}

// startMetrics sets up the duration histogram; a nil mp leaves metrics off.
func (t *Storage) startMetrics(mp metric.MeterProvider, static []attribute.KeyValue) {
	if mp == nil {
		return
	}
	meter := mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	h, err := dbconv.NewClientOperationDuration(meter,
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		// The conventions' helper still returns a usable (no-op)
		// instrument; the error goes where OpenTelemetry errors go.
		otel.Handle(err)
	}
	t.hist = h.Inst()
	for op := range numOps {
		t.metricAttrs[op] = operationAttributes(static, op)
	}
}

// operationAttributes are the static attributes plus db.operation.name.
func operationAttributes(static []attribute.KeyValue, op int) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, len(static)+1)
	attrs = append(attrs, static...)
	return append(attrs, semconv.DBOperationNameKey.String(opNames[op]))
}

// off reports whether neither spans nor metrics are recorded: the operations
// then call straight through.
func (t *Storage) off() bool { return t.tracer == nil && t.hist == nil }

// call holds what one traced operation needs between begin and end. It is
// a value on the caller's stack, so the untraced paths allocate nothing.
type call struct {
	op    int
	name  string
	span  trace.Span // nil when tracing is off
	start time.Time  // zero when metrics are off
}

// recording reports whether attributes set on the span are kept.
func (c *call) recording() bool { return c.span != nil && c.span.IsRecording() }

// begin starts the span and the clock for one operation and returns the
// context to hand to the wrapped Storage.
func (t *Storage) begin(ctx context.Context, op int, name string) (context.Context, call) {
	c := call{op: op, name: name}
	if t.tracer != nil {
		// A nil ctx is the driver's to reject (driver.CheckContext); the
		// span still records the failed call, as a root span.
		parent := ctx
		if parent == nil {
			parent = context.Background()
		}
		spanCtx, span := t.tracer.Start(parent, t.spanNames.get(op, name), t.startOpts[op]...)
		c.span = span
		if ctx != nil {
			ctx = spanCtx
		}
		if name != "" && span.IsRecording() {
			span.SetAttributes(semconv.DBCollectionNameKey.String(name))
		}
	}
	if t.hist != nil {
		c.start = time.Now()
	}
	return ctx, c
}

// end finishes the operation: error.type and status Error on failure, the
// span's end, the duration measurement. It never records err's text: an
// error of a driver's transport layer may quote a server reply, and a reply
// may name a key.
func (t *Storage) end(ctx context.Context, c call, err error) {
	var errType string
	if err != nil {
		errType = errorType(err)
	}
	if c.span != nil {
		if errType != "" && c.span.IsRecording() {
			c.span.SetAttributes(semconv.ErrorTypeKey.String(errType))
			c.span.SetStatus(codes.Error, errType)
		}
		c.span.End()
	}
	if t.hist == nil {
		return
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if !t.hist.Enabled(ctx) {
		return
	}
	elapsed := time.Since(c.start).Seconds()
	static := t.metricAttrs[c.op]
	attrs := make([]attribute.KeyValue, len(static), len(static)+2)
	copy(attrs, static)
	if c.name != "" {
		attrs = append(attrs, semconv.DBCollectionNameKey.String(c.name))
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	t.hist.Record(ctx, elapsed, metric.WithAttributeSet(attribute.NewSet(attrs...)))
}

// failNil records a call on a Storage that wraps nothing (New(nil)) as a
// failed operation and returns errNilStorage.
func (t *Storage) failNil(ctx context.Context, op int, name string) error {
	if t != nil {
		ctx, c := t.begin(ctx, op, name)
		t.end(ctx, c, errNilStorage)
	}
	return errNilStorage
}
