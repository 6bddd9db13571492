package scsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Store is an scs.Store and scs.CtxStore backed by a session.Storage. Create
// it with New; it is safe for concurrent use. It keeps no state of its own:
// every call is one or two calls of the Storage.
//
// It deliberately does not implement scs.IterableStore: All would need a
// scan of every session, which the Storage contract has no operation for
// (scs's SessionManager.Iterate therefore panics with this Store). List and
// revoke a user's sessions with the Storage's index instead (WithMetadata).
type Store struct {
	storage session.Storage
	name    string
	meta    MetadataFunc
	now     func() time.Time // the clock expiries are measured against; tests replace it
	err     error            // a configuration error, returned by every call
}

var _ scs.CtxStore = (*Store)(nil)

// errNoStorage is what every call returns when the Store has no Storage
// (New(nil), a zero Store or a nil *Store): a programming error becomes an
// error on the first request, not a panic.
var errNoStorage = driver.Invalid("storage", "must not be nil (make the Store with New)")

// New returns a Store that keeps scs's sessions in storage, under the cookie
// name DefaultCookieName unless WithCookieName says otherwise. The Store
// does not own storage: close it yourself when the SessionManager is done.
//
// New does not fail: a nil storage or an invalid option makes every call of
// the Store fail with an error matching session.ErrInvalidArgument, as
// tracing.New does, so that a Store can be assigned to
// SessionManager.Store directly.
func New(storage session.Storage, opts ...Option) *Store {
	c := config{name: DefaultCookieName}
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	s := &Store{storage: storage, name: c.name, meta: c.metadata, now: time.Now, err: c.check()}
	if storage == nil {
		s.err = errNoStorage
	}
	return s
}

// CookieName returns the cookie name the Store keeps its tokens under: the
// name to give ReadMetadata and session.RevokeAll for these sessions.
func (s *Store) CookieName() string {
	if s == nil {
		return ""
	}
	return s.name
}

// Storage returns the Storage the Store keeps its sessions in.
func (s *Store) Storage() session.Storage {
	if s == nil {
		return nil
	}
	return s.storage
}

// Find implements scs.Store: FindCtx with context.Background().
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx implements scs.CtxStore. It returns the session stored under
// token. A token that is not stored, has expired, or that the Storage would
// refuse as a key (empty, containing ':', too long: a tampered cookie) is
// found == false with a nil error, as scs requires; any other error is a
// failure of the Storage, returned wrapped.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if err := s.check(ctx); err != nil {
		return nil, false, fmt.Errorf("scsstore: find: %w", err)
	}
	// A token that cannot be a key was never stored: no round trip.
	if driver.CheckGet(s.name, token) != nil {
		return nil, false, nil
	}
	b, err := s.storage.Get(ctx, s.name, token)
	switch {
	case err == nil:
		return b, true, nil
	case errors.Is(err, session.ErrNotFound), rejectsKey(err):
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("scsstore: find: %w", err)
	}
}

// Commit implements scs.Store: CommitCtx with context.Background().
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx implements scs.CtxStore. It stores b under token until expiry,
// replacing what was there, indexed under the pairs of WithMetadata. An
// expiry that is not in the future deletes the session instead: the Storage
// cannot store a TTL of zero or less, and scs must not find it again. A
// token the Storage would refuse is an error matching
// session.ErrInvalidArgument; nothing is written then.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("scsstore: commit: %w", err)
	}
	// Checked before the Storage sees it, so that no Storage, however it
	// validates, is handed a malformed key. The error names the argument,
	// never its value.
	if err := driver.CheckGet(s.name, token); err != nil {
		return fmt.Errorf("scsstore: commit: %w", err)
	}
	var md []session.Pair
	if s.meta != nil {
		var err error
		// Refused rather than stored unindexed: a session missing from its
		// user's index would survive RevokeAll.
		if md, err = s.meta(ctx, b); err != nil {
			return fmt.Errorf("scsstore: commit: metadata: %w", err)
		}
	}
	now := s.now()
	ttl := expiry.Sub(now)
	if ttl <= 0 {
		if err := s.storage.Delete(ctx, s.name, token, now, md); err != nil {
			return fmt.Errorf("scsstore: commit: expired session: %w", err)
		}
		return nil
	}
	if err := s.storage.Set(ctx, s.name, token, b, ttl, now, session.SetOptions{Metadata: md}); err != nil {
		return fmt.Errorf("scsstore: commit: %w", err)
	}
	return nil
}

// Delete implements scs.Store: DeleteCtx with context.Background().
func (s *Store) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteCtx implements scs.CtxStore. It deletes the session stored under
// token; a token that is not stored, or that could not have been (scs
// deletes the empty token when a session that was never committed is
// destroyed), is no error.
//
// With WithMetadata it first reads the session to learn its pairs, so that
// the token also leaves its user's index. The session is deleted even when
// that read or the MetadataFunc fails (a logout must not hinge on the index):
// the token then stays listed until its expiry, which RevokeAll tolerates.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("scsstore: delete: %w", err)
	}
	if driver.CheckGet(s.name, token) != nil {
		return nil
	}
	var md []session.Pair
	var mdErr error
	if s.meta != nil {
		md, mdErr = s.deletedPairs(ctx, token)
	}
	if err := s.storage.Delete(ctx, s.name, token, s.now(), md); err != nil {
		return fmt.Errorf("scsstore: delete: %w", errors.Join(err, mdErr))
	}
	return nil
}

// deletedPairs returns the pairs the session under token is indexed under,
// read from its stored value; none for a session that is not stored.
func (s *Store) deletedPairs(ctx context.Context, token string) ([]session.Pair, error) {
	b, err := s.storage.Get(ctx, s.name, token)
	switch {
	case errors.Is(err, session.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the session's metadata: %w", err)
	}
	md, err := s.meta(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return md, nil
}

// check reports what makes every call fail: no Storage, a bad option, a nil
// ctx (passed on, a Storage would reject it too, but one that does not check
// might panic).
func (s *Store) check(ctx context.Context) error {
	switch {
	case s == nil || s.storage == nil:
		return errNoStorage
	case s.err != nil:
		return s.err
	case ctx == nil:
		return driver.Invalid("ctx", "must not be nil")
	}
	return nil
}

// rejectsKey reports whether the Storage refused the key itself (a limit of
// its own, such as a length): for scs, a token that cannot be stored is a
// token that is not found.
func rejectsKey(err error) bool {
	var ae *session.ArgumentError
	return errors.As(err, &ae) && ae.Arg == "key"
}
