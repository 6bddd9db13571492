// Package tracing wraps any session.Storage with OpenTelemetry tracing and,
// optionally, metrics, following the OpenTelemetry database client
// conventions.
//
// Every Set, Get, Delete and ReadMetadata becomes one span of kind CLIENT,
// a child of the span in the caller's context, named
// "{db.operation.name} {cookie name}" (e.g. "get session"): the cookie name
// is the target of the operation, a key space of its own like a table, and
// it is few-valued and chosen by the application. The span carries
// db.system.name (from the driver's driver.EndpointReporter, else
// WithSystem, else "other"), db.operation.name ("set", "get", "delete",
// "read_metadata"), db.collection.name (the cookie name), server.address and
// server.port when the driver reports them, and on failure error.type with
// status Error. A Get that finds nothing is not a failure: its span has
// sessionstore.found=false and no error status. A ReadMetadata of a damaged
// index (session.ErrCorruptIndex) is: the span records the fault, and the
// caller still gets the entries the driver could read, with the error.
//
// Session keys, values and subjects are never recorded: not in a span name,
// an attribute, an event, a status description or a metric. A session key is
// a bearer credential. Error texts are not recorded either (no RecordError):
// the status description is the error.type value, a fixed string.
//
// With WithMeterProvider the wrapper also records the
// db.client.operation.duration histogram (seconds, the conventions'
// buckets). Metrics are opt-in.
//
// New returns a *Storage, the one wrapper type, whatever the driver. It
// changes nothing else: results and errors pass through as the driver
// returned them, Close closes the driver, Endpoint returns the driver's
// endpoint and Unwrap the driver itself. With a noop.TracerProvider and no
// MeterProvider a call costs one branch.
//
// Use:
//
//	store := tracing.New(memory.New(),
//		tracing.WithTracerProvider(tp),        // default: otel.GetTracerProvider()
//		tracing.WithMeterProvider(mp),         // default: no metrics
//		tracing.WithSystem("memory"),          // when the driver does not say
//		tracing.WithAttributes(attribute.String("deployment.environment.name", "prod")),
//	)
//	defer store.Close() // closes the memory driver
//	value, err := store.Get(ctx, "session", key) // span "get session"
package tracing
