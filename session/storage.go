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
// Neither name nor key may contain ':' (real cookie names and session ids
// never do); that keeps every stored name apart from every other.
//
// A write that fails, or whose context ends, may still have been applied:
// the caller cannot tell a request lost on the way from an answer lost on
// the way back.
type Storage interface {
	// Set stores value under (name, key) for ttl, replacing any value and TTL
	// already there. value may be empty; an empty value is a value, not a
	// miss. now is the caller's clock for this request: the expiry listed by
	// ReadMetadata is now+ttl rounded up to the whole Unix second, so that a
	// session is never listed as ending before it does.
	//
	// opts.OldKey rotates a session: the old key stays readable for
	// opts.StaleTTL more (so requests in flight with the old cookie keep
	// working) or is deleted at once when opts.Remember is set; an old key
	// that does not exist is not created, and one is never made to live
	// longer than it would have. opts.Metadata lists (audience, subject)
	// pairs under which key is indexed for ReadMetadata; with OldKey set, the
	// old key leaves those indexes at once.
	//
	// Invalid arguments are reported with an error that matches
	// ErrInvalidArgument (and ErrTooLarge for a value or key over a limit),
	// and nothing is written.
	Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts SetOptions) error

	// Get returns the value stored under (name, key). A key that was never
	// stored, was deleted or has expired is reported as an error that matches
	// ErrNotFound; any other error is a failure of the storage itself. The
	// returned slice is the caller's own.
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
	//
	// The revocation guarantee: every key that Get can return and that was
	// written with this pair is listed, whatever calls ran concurrently, so
	// RevokeAll ends every such session. The one exception is a key rotated
	// away, which stays readable for its grace period (SetOptions.StaleTTL)
	// without being listed, as in lua-resty-session; RevokeAll therefore
	// ends it at most StaleTTL later.
	//
	// An index damaged by a foreign or torn write hides none of its
	// well-formed entries: they are returned together with an error matching
	// ErrCorruptIndex, and the next write to that index repairs it.
	ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error)

	// Close releases what the Storage holds (connections, goroutines). After
	// Close every call fails with an error matching ErrClosed; closing twice
	// is harmless. A wrapper closes what it wraps.
	Close() error
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
	// means DefaultStaleTTL. Negative is invalid.
	StaleTTL time.Duration
	// Remember deletes OldKey at once instead of keeping it for StaleTTL
	// (lua-resty-session's remember argument).
	Remember bool
	// Metadata lists the (audience, subject) pairs under which the session is
	// indexed; see Storage.ReadMetadata.
	Metadata []Pair
}

// Pair is one (audience, subject) pair of a session's metadata: typically the
// application or realm, and the user id. Pass them as plain strings; drivers
// encode them as lua-resty-session does (base64url), so any bytes are fine.
type Pair struct {
	Audience string
	Subject  string
}
