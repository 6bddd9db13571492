package tracing

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures New.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set; New reads it once.
type config struct {
	tp     trace.TracerProvider // nil: the global provider
	mp     metric.MeterProvider // nil: no metrics
	attrs  []attribute.KeyValue
	system string
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
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
// through driver.EndpointReporter. A system the driver reports wins.
func WithSystem(name string) Option {
	return optionFunc(func(c *config) { c.system = name })
}
