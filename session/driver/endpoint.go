package driver

// Endpoint describes the backend behind a Storage, for instrumentation such
// as the tracing package. Zero fields are unknown.
type Endpoint struct {
	// System is the database system name in OpenTelemetry terms, such as
	// "memcached" or "redis".
	System string
	// Address is the server's host name, IP address or unix socket path.
	Address string
	// Port is the server's port; zero for a unix socket or when unknown.
	Port int
}

// EndpointReporter is implemented by drivers that can tell where they keep
// their data. It is optional; wrappers discover it with a type assertion.
type EndpointReporter interface {
	Endpoint() Endpoint
}
