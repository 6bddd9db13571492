package session

import (
	"context"
	"time"
)

// Storage is the contract every session storage driver implements. All
// methods are safe for concurrent use and take the caller's context first.
//
// name is the cookie name ("session", "remember", "__Host-session", …) and
// namespaces everything: the same key under two names is two sessions, and
// indexes are kept per name. key is the session's storage key; it is a bearer
// credential, so no driver puts it in an error, log line, span or metric.
type Storage interface {
	// Set stores value under (name, key) for ttl, replacing any value and TTL
	// already there. now is the caller's clock for this request: index
	// expiries are computed from it as now+ttl in whole Unix seconds (a
	// fraction of a second is rounded up). value may be empty; an empty value
	// is a value, not a miss.
	//
	// opts.OldKey rotates a session: the old key stays readable for
	// opts.StaleTTL more (so requests in flight with the old cookie keep
	// working) or is deleted at once when opts.Remember is set; an old key
	// that does not exist is not created. opts.Metadata lists (audience,
	// subject) pairs under which key is indexed for ReadMetadata; with OldKey
	// set, the old key leaves those indexes.
	//
	// Invalid arguments are reported with an error that matches
	// ErrInvalidArgument (and ErrTooLarge for a value or key over a limit),
	// and nothing is written.
	Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts SetOptions) error

	// Get returns the value stored under (name, key). A key that was never
	// stored, was deleted or has expired is reported as an error that matches
	// ErrNotFound; any other error is a failure of the storage itself.
	Get(ctx context.Context, name, key string) ([]byte, error)

	// Delete removes (name, key). Deleting a key that does not exist
	// succeeds. With metadata, key also leaves the index of each pair; now is
	// the caller's clock, as for Set.
	Delete(ctx context.Context, name, key string, now time.Time, metadata []Pair) error

	// ReadMetadata lists the live sessions indexed under (name, audience,
	// subject): each key with its expiry, whole Unix seconds. An entry is live
	// while its expiry is after now (strictly). Keys rotated away or deleted
	// with their metadata are not listed; for a key written several times the
	// last write wins. A pair never written yields an empty map and no error.
	// An index that cannot be parsed is an error matching ErrCorruptIndex.
	ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error)
}

// DefaultStaleTTL is how long a rotated-away key stays readable when
// SetOptions.StaleTTL is zero. It is lua-resty-session's stale_ttl default.
const DefaultStaleTTL = 10 * time.Second

// SetOptions are the optional parts of a Set. The zero value is a plain Set.
type SetOptions struct {
	// OldKey is the key this Set replaces (a session id rotation). Empty means
	// no rotation.
	OldKey string
	// StaleTTL is how long OldKey stays readable after the rotation; zero
	// means DefaultStaleTTL. Negative is invalid. A driver never makes the old
	// key live longer than it would have anyway, unless it declares otherwise
	// (see the conformance package's capabilities).
	StaleTTL time.Duration
	// Remember deletes OldKey at once instead of keeping it for StaleTTL
	// (lua-resty-session's remember argument).
	Remember bool
	// Metadata lists the (audience, subject) pairs under which the session is
	// indexed; see Storage.ReadMetadata.
	Metadata []Pair
}

// EffectiveStaleTTL returns StaleTTL, or DefaultStaleTTL when it is zero.
func (o SetOptions) EffectiveStaleTTL() time.Duration {
	if o.StaleTTL == 0 {
		return DefaultStaleTTL
	}
	return o.StaleTTL
}

// Pair is one (audience, subject) pair of a session's metadata: typically the
// application or realm, and the user id (lua-resty-session stores both
// base64url encoded; this package stores them as given).
type Pair struct {
	Audience string
	Subject  string
}

// Endpoint describes the backend behind a Storage, for instrumentation such
// as the tracing package. Zero fields are unknown.
type Endpoint struct {
	// System is the database system name in OpenTelemetry terms, such as
	// "memcached".
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
