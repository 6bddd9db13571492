package tracing

import "go.opentelemetry.io/otel/attribute"

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/sessionstore/sessionstore/tracing"

// DefaultSystem is db.system.name when neither the wrapped driver (through
// driver.EndpointReporter) nor WithSystem names the database system.
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
	// AttrListed is how many live sessions a ReadMetadata call returned,
	// also beside an error when the driver returned entries with it (a
	// damaged index, session.ErrCorruptIndex).
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

// Operations index the per-operation tables that New fills once (span
// start options, metric attributes, span names).
const (
	opSet = iota
	opGet
	opDelete
	opReadMetadata
	numOps
)

var opNames = [numOps]string{OperationSet, OperationGet, OperationDelete, OperationReadMetadata}
