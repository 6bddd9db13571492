package tracing

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sessionstore/sessionstore/session"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/sessionstore/sessionstore/tracing"

// DefaultSystem is db.system.name when neither the wrapped driver (through
// session.EndpointReporter) nor WithSystem names the database system.
const DefaultSystem = "other"

// Operation names, recorded as db.operation.name. They are the names of the
// Storage methods in the conventions' lower-case style.
const (
	OperationSet          = "set"
	OperationGet          = "get"
	OperationDelete       = "delete"
	OperationReadMetadata = "read_metadata"
)

// Attributes this package adds besides the OpenTelemetry database
// conventions. They live under "sessionstore." because the conventions own
// the "session." namespace (session.id there is a session identifier, which
// this package never records).
const (
	// AttrFound is false on a Get that found nothing (not an error), true on
	// a Get that returned a value.
	AttrFound = attribute.Key("sessionstore.found")
	// AttrAudience is the audience of a ReadMetadata call.
	AttrAudience = attribute.Key("sessionstore.audience")
	// AttrListed is how many live sessions a ReadMetadata call returned.
	AttrListed = attribute.Key("sessionstore.listed")
	// AttrMetadataCount is how many (audience, subject) pairs a Set or
	// Delete carried.
	AttrMetadataCount = attribute.Key("sessionstore.metadata.count")
	// AttrRotation is true on a Set that rotates a session (SetOptions.OldKey
	// given).
	AttrRotation = attribute.Key("sessionstore.rotation")
	// AttrRemember is true on a rotation that deletes the old key at once
	// (SetOptions.Remember).
	AttrRemember = attribute.Key("sessionstore.remember")
)

// durationBuckets are the bucket boundaries the database conventions give
// for db.client.operation.duration, in seconds.
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// Option configures New.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp     trace.TracerProvider
	mp     metric.MeterProvider
	attrs  []attribute.KeyValue
	system string
}

// WithTracerProvider sets the TracerProvider spans are created with. The
// default (and a nil tp) is the global provider, otel.GetTracerProvider(),
// looked up once in New. A tracer provider of type noop.TracerProvider (from
// go.opentelemetry.io/otel/trace/noop) switches tracing off entirely: the
// wrapper then calls straight through without even starting a no-op span.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithMeterProvider makes the wrapper record the db.client.operation.duration
// histogram (seconds, buckets 1 ms … 10 s as the conventions give) through
// mp. Metrics are opt-in: without this option (or with a nil mp) no metric
// is recorded and the clock is not read. Pass otel.GetMeterProvider() to use
// the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// WithAttributes adds attributes to every span and every metric point the
// wrapper records, e.g. a deployment or tenant label. They must be of low
// cardinality and must not hold a session key, value or subject.
func WithAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, attrs...) })
}

// WithSystem sets db.system.name for a driver that does not report one
// through session.EndpointReporter. A system the driver reports wins.
func WithSystem(name string) Option {
	return optionFunc(func(c *config) { c.system = name })
}

// Operation indexes into the precomputed per-operation tables.
const (
	opSet = iota
	opGet
	opDelete
	opReadMetadata
	numOps
)

var opNames = [numOps]string{OperationSet, OperationGet, OperationDelete, OperationReadMetadata}

// traced is the wrapper. Every per-call cost that does not depend on the
// call's arguments is paid once in New: start options with the static
// attributes, the metric's static attributes. With tracing and metrics both
// off, a call is one branch and the wrapped call.
type traced struct {
	next session.Storage
	orig session.Storage // as given to New, for Unwrap

	tracer trace.Tracer // nil: tracing off
	// startOpts[op] are the span start options: kind CLIENT and the static
	// attributes, so that samplers see them too.
	startOpts [numOps][]trace.SpanStartOption

	hist        metric.Float64Histogram // nil: metrics off
	metricAttrs [numOps][]attribute.KeyValue

	spanNames spanNameCache
}

// New wraps s so that every Set, Get, Delete and ReadMetadata is reported as
// an OpenTelemetry CLIENT span (and, with WithMeterProvider, as a
// db.client.operation.duration measurement). The returned Storage behaves
// exactly as s: results and errors pass through unchanged.
//
// The returned value also implements io.Closer when s does (Close is
// forwarded, not traced) and session.EndpointReporter when s does, and it
// has an Unwrap method returning s. The driver's Endpoint is read once here.
//
// A nil s does not panic: every call then fails with an error matching
// session.ErrInvalidArgument.
func New(s session.Storage, opts ...Option) session.Storage {
	orig := s
	if s == nil {
		s = nilStorage{}
	}
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	t := &traced{next: s, orig: orig}

	var ep session.Endpoint
	reporter, isReporter := s.(session.EndpointReporter)
	if isReporter {
		ep = reporter.Endpoint()
	}
	system := ep.System
	if system == "" {
		system = c.system
	}
	if system == "" {
		system = DefaultSystem
	}
	static := make([]attribute.KeyValue, 0, 4+len(c.attrs))
	static = append(static, semconv.DBSystemNameKey.String(system))
	if ep.Address != "" {
		static = append(static, semconv.ServerAddressKey.String(ep.Address))
		if ep.Port > 0 {
			static = append(static, semconv.ServerPortKey.Int(ep.Port))
		}
	}
	static = append(static, c.attrs...)

	tp := c.tp
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if _, isNoop := tp.(tracenoop.TracerProvider); !isNoop {
		t.tracer = tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
		for op := range numOps {
			attrs := make([]attribute.KeyValue, 0, len(static)+1)
			attrs = append(attrs, static...)
			attrs = append(attrs, semconv.DBOperationNameKey.String(opNames[op]))
			t.startOpts[op] = []trace.SpanStartOption{
				trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attrs...),
			}
		}
	}

	if c.mp != nil {
		meter := c.mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
		h, err := dbconv.NewClientOperationDuration(meter,
			metric.WithExplicitBucketBoundaries(durationBuckets...))
		if err != nil {
			// The conventions' helper still returns a usable (no-op)
			// instrument; the error goes where OpenTelemetry errors go.
			otel.Handle(err)
		}
		t.hist = h.Inst()
		for op := range numOps {
			attrs := make([]attribute.KeyValue, 0, len(static)+1)
			attrs = append(attrs, static...)
			attrs = append(attrs, semconv.DBOperationNameKey.String(opNames[op]))
			t.metricAttrs[op] = attrs
		}
	}

	closer, isCloser := s.(io.Closer)
	switch {
	case isCloser && isReporter:
		return &tracedCloserReporter{traced: t, closer: closer, ep: ep}
	case isCloser:
		return &tracedCloser{traced: t, closer: closer}
	case isReporter:
		return &tracedReporter{traced: t, ep: ep}
	default:
		return t
	}
}

// The variants below add exactly the optional interfaces the wrapped
// Storage has, so that a type assertion on the wrapper answers as it would
// on the driver.

type tracedCloser struct {
	*traced
	closer io.Closer
}

// Close closes the wrapped Storage.
func (t *tracedCloser) Close() error { return t.closer.Close() }

type tracedReporter struct {
	*traced
	ep session.Endpoint
}

// Endpoint returns the wrapped Storage's endpoint, as read in New.
func (t *tracedReporter) Endpoint() session.Endpoint { return t.ep }

type tracedCloserReporter struct {
	*traced
	closer io.Closer
	ep     session.Endpoint
}

// Close closes the wrapped Storage.
func (t *tracedCloserReporter) Close() error { return t.closer.Close() }

// Endpoint returns the wrapped Storage's endpoint, as read in New.
func (t *tracedCloserReporter) Endpoint() session.Endpoint { return t.ep }

// Unwrap returns the wrapped Storage.
func (t *traced) Unwrap() session.Storage { return t.orig }

// call holds what one traced operation needs between start and end. It is
// a value on the caller's stack, so the untraced paths allocate nothing.
type call struct {
	op    int
	name  string
	span  trace.Span // nil when tracing is off
	start time.Time  // zero when metrics are off
}

// begin starts the span and the clock for one operation and returns the
// context to hand to the wrapped Storage.
func (t *traced) begin(ctx context.Context, op int, name string) (context.Context, call) {
	c := call{op: op, name: name}
	if t.tracer != nil {
		// A nil ctx is the driver's to reject (session.CheckContext); the
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
func (t *traced) end(ctx context.Context, c call, err error) {
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
	if t.hist != nil {
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
}

func (t *traced) off() bool { return t.tracer == nil && t.hist == nil }

// Set implements session.Storage.
func (t *traced) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if t.off() {
		return t.next.Set(ctx, name, key, value, ttl, now, opts)
	}
	ctx, c := t.begin(ctx, opSet, name)
	if c.span != nil && c.span.IsRecording() {
		if opts.OldKey != "" {
			c.span.SetAttributes(AttrRotation.Bool(true))
			if opts.Remember {
				c.span.SetAttributes(AttrRemember.Bool(true))
			}
		}
		if n := len(opts.Metadata); n > 0 {
			c.span.SetAttributes(AttrMetadataCount.Int(n))
		}
	}
	err := t.next.Set(ctx, name, key, value, ttl, now, opts)
	t.end(ctx, c, err)
	return err
}

// Get implements session.Storage. A miss (session.ErrNotFound) is not a
// failure: the span gets sessionstore.found=false and no error status.
func (t *traced) Get(ctx context.Context, name, key string) ([]byte, error) {
	if t.off() {
		return t.next.Get(ctx, name, key)
	}
	ctx, c := t.begin(ctx, opGet, name)
	value, err := t.next.Get(ctx, name, key)
	if c.span != nil && c.span.IsRecording() {
		switch {
		case err == nil:
			c.span.SetAttributes(AttrFound.Bool(true))
		case isNotFound(err):
			c.span.SetAttributes(AttrFound.Bool(false))
		}
	}
	if isNotFound(err) {
		t.end(ctx, c, nil)
	} else {
		t.end(ctx, c, err)
	}
	return value, err
}

// Delete implements session.Storage.
func (t *traced) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if t.off() {
		return t.next.Delete(ctx, name, key, now, metadata)
	}
	ctx, c := t.begin(ctx, opDelete, name)
	if n := len(metadata); n > 0 && c.span != nil && c.span.IsRecording() {
		c.span.SetAttributes(AttrMetadataCount.Int(n))
	}
	err := t.next.Delete(ctx, name, key, now, metadata)
	t.end(ctx, c, err)
	return err
}

// ReadMetadata implements session.Storage. The audience is recorded; the
// subject never is.
func (t *traced) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if t.off() {
		return t.next.ReadMetadata(ctx, name, audience, subject, now)
	}
	ctx, c := t.begin(ctx, opReadMetadata, name)
	if audience != "" && c.span != nil && c.span.IsRecording() {
		c.span.SetAttributes(AttrAudience.String(audience))
	}
	live, err := t.next.ReadMetadata(ctx, name, audience, subject, now)
	if err == nil && c.span != nil && c.span.IsRecording() {
		c.span.SetAttributes(AttrListed.Int(len(live)))
	}
	t.end(ctx, c, err)
	return live, err
}

// spanNameCache holds the span names "{operation} {cookie name}" so that a
// traced call does not build the same string again and again. Cookie names
// are few and fixed by the application; the cache still stops growing at
// maxCachedNames so that a caller passing arbitrary names cannot grow it.
type spanNameCache struct {
	m  atomic.Pointer[map[string]*[numOps]string] // copy on write
	mu sync.Mutex
}

const maxCachedNames = 64

func (c *spanNameCache) get(op int, name string) string {
	if name == "" {
		return opNames[op]
	}
	if m := c.m.Load(); m != nil {
		if names, ok := (*m)[name]; ok {
			return names[op]
		}
	}
	return c.add(op, name)
}

func (c *spanNameCache) add(op int, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if names, ok := (*old)[name]; ok {
			return names[op]
		}
		if len(*old) >= maxCachedNames {
			return opNames[op] + " " + name
		}
	}
	var names [numOps]string
	for i := range numOps {
		names[i] = opNames[i] + " " + name
	}
	m := make(map[string]*[numOps]string, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[name] = &names
	c.m.Store(&m)
	return names[op]
}

func lenOf(m *map[string]*[numOps]string) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// errNilStorage is what every call on New(nil) returns.
var errNilStorage = fmt.Errorf("tracing: %w", &session.ArgumentError{Arg: "storage", Reason: "tracing.New was given a nil Storage"})

// nilStorage stands in for a nil Storage given to New, so that a
// programming error is an error, not a panic on the first request.
type nilStorage struct{}

func (nilStorage) Set(context.Context, string, string, []byte, time.Duration, time.Time, session.SetOptions) error {
	return errNilStorage
}

func (nilStorage) Get(context.Context, string, string) ([]byte, error) { return nil, errNilStorage }

func (nilStorage) Delete(context.Context, string, string, time.Time, []session.Pair) error {
	return errNilStorage
}

func (nilStorage) ReadMetadata(context.Context, string, string, string, time.Time) (map[string]time.Time, error) {
	return nil, errNilStorage
}
