package tracing

import (
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Storage is a session.Storage that reports every call of the Storage it
// wraps as an OpenTelemetry span and, optionally, a duration measurement.
// Results and errors pass through unchanged. Create it with New; it is safe
// for concurrent use.
//
// Every per-call cost that does not depend on the call's arguments is paid
// once in New: span start options with the static attributes, the metric's
// static attributes. With tracing and metrics both off, a call is a branch
// and the wrapped call.
type Storage struct {
	// next is the wrapped Storage; nil when New was given nil, and then
	// every call fails (see errNilStorage) instead of panicking.
	next     session.Storage
	endpoint driver.Endpoint // next's, read once in New

	tracer trace.Tracer // nil: tracing off
	// startOpts[op] are the span start options: kind CLIENT and the static
	// attributes, so that samplers see them too.
	startOpts [numOps][]trace.SpanStartOption

	hist        metric.Float64Histogram // nil: metrics off
	metricAttrs [numOps][]attribute.KeyValue

	spanNames spanNameCache
}

var (
	_ session.Storage         = (*Storage)(nil)
	_ driver.EndpointReporter = (*Storage)(nil)
)

// errNilStorage is what every call on New(nil) returns: a programming error
// becomes an error on the first request, not a panic.
var errNilStorage = fmt.Errorf("tracing: %w", driver.Invalid("storage", "tracing.New was given a nil Storage"))

// New wraps s so that every Set, Get, Delete and ReadMetadata is reported as
// an OpenTelemetry CLIENT span (and, with WithMeterProvider, as a
// db.client.operation.duration measurement). The returned Storage behaves
// exactly as s: results and errors pass through unchanged, and Close closes
// s (Close is forwarded, not traced).
//
// The driver's endpoint, when s implements driver.EndpointReporter, is read
// once here: it gives the spans their db.system.name, server.address and
// server.port, and the wrapper's own Endpoint method returns it.
//
// A nil s does not panic: every call then fails with an error matching
// session.ErrInvalidArgument.
func New(s session.Storage, opts ...Option) *Storage {
	c := newConfig(opts)
	t := &Storage{next: s}
	if reporter, ok := s.(driver.EndpointReporter); ok {
		t.endpoint = reporter.Endpoint()
	}
	static := staticAttributes(t.endpoint, c)
	t.startTracing(c.tp, static)
	t.startMetrics(c.mp, static)
	return t
}

// staticAttributes are the attributes every span and metric point of the
// wrapper carries: the database system, the server, the user's own.
func staticAttributes(ep driver.Endpoint, c config) []attribute.KeyValue {
	system := ep.System
	if system == "" {
		system = c.system
	}
	if system == "" {
		system = DefaultSystem
	}
	static := make([]attribute.KeyValue, 0, 3+len(c.attrs))
	static = append(static, semconv.DBSystemNameKey.String(system))
	if ep.Address != "" {
		static = append(static, semconv.ServerAddressKey.String(ep.Address))
		if ep.Port > 0 {
			static = append(static, semconv.ServerPortKey.Int(ep.Port))
		}
	}
	return append(static, c.attrs...)
}

// Unwrap returns the wrapped Storage, as given to New.
func (t *Storage) Unwrap() session.Storage {
	if t == nil {
		return nil
	}
	return t.next
}

// Endpoint implements driver.EndpointReporter: it returns the wrapped
// driver's endpoint as read in New, the zero Endpoint when the driver
// reports none. (What the spans record as db.system.name may also come from
// WithSystem or DefaultSystem; that is the wrapper's choice, not the
// driver's report.)
func (t *Storage) Endpoint() driver.Endpoint {
	if t == nil {
		return driver.Endpoint{}
	}
	return t.endpoint
}

// Close closes the wrapped Storage and returns its result. It is not traced:
// it is no database operation, and it runs once, at shutdown.
func (t *Storage) Close() error {
	if t == nil || t.next == nil {
		return errNilStorage
	}
	return t.next.Close()
}
