package memcached

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// removeAgainTimeout bounds the removal of a session whose index update
// failed; it runs even when the caller's context has ended.
const removeAgainTimeout = time.Second

// Storage is a session.Storage backed by memcached. It is safe for
// concurrent use. Create it with New and Close it when done.
type Storage struct {
	planner  driver.Planner
	rt       roundTripper
	index    *indexer
	endpoint driver.Endpoint
	release  func() error // gives the connections back (Close)

	mu     sync.RWMutex // held shared by every call, exclusively by Close
	closed bool
}

var (
	_ session.Storage         = (*Storage)(nil)
	_ driver.EndpointReporter = (*Storage)(nil)
)

// New validates cfg and returns a Storage. It does not connect: connections
// are made on first use, each within ConnectTimeout, so New neither blocks
// nor fails because a server is down. An invalid cfg is an error matching
// ErrConfig.
func New(cfg Config) (*Storage, error) {
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	p, err := acquirePool(set)
	if err != nil {
		return nil, err
	}
	primary := set.servers[0]
	s := newStorage(set.Config, &trips{pool: p}, func() error { return releasePool(p) })
	s.endpoint = driver.Endpoint{System: "memcached", Address: primary.host, Port: primary.port}
	return s, nil
}

// newStorage builds a Storage on any roundTripper (tests use a fake).
func newStorage(cfg Config, rt roundTripper, release func() error) *Storage {
	return &Storage{
		planner: driver.Planner{
			Naming:       driver.Naming{Prefix: cfg.Prefix, Suffix: cfg.Suffix, HashSubject: cfg.HashSubject},
			MaxValueSize: cfg.MaxValueSize,
		},
		rt:      rt,
		index:   &indexer{rt: rt},
		release: release,
	}
}

// Close releases the Storage's connections (those of a shared pool when its
// last Storage closes). It waits for calls in flight, which each end within
// one network timeout. Later calls return an error matching
// session.ErrClosed. Close is idempotent.
func (s *Storage) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.release()
}

// Endpoint implements driver.EndpointReporter: the single server, or the
// first of several.
func (s *Storage) Endpoint() driver.Endpoint { return s.endpoint }

// RoundTrips returns how many requests this Storage has sent to memcached.
// Tests and benchmarks use it to count round trips per operation.
func (s *Storage) RoundTrips() uint64 { return s.rt.sent() }

// enter starts a call; on success the caller ends it with s.mu.RUnlock.
// (Returning the method value s.mu.RUnlock would allocate on every call.)
func (s *Storage) enter(op string) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("memcached: %s: %w", op, session.ErrClosed)
	}
	return nil
}

// Set implements session.Storage. It writes in the order of contract 2.17:
// the session item; then each index, with the new entry and the
// rotated-away key's deletion marker in one append; then the old key,
// touched to its grace period (memcached's touch sets the expiry, so it may
// also extend it) or deleted with Remember. If an index update fails, or
// the session write fails after it may have reached the server, the session
// item is removed again and the error returned: a session its index does
// not list must not stay readable.
func (s *Storage) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	p, err := s.planner.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return fmt.Errorf("memcached: set: %w", err)
	}
	w, err := planSetWire(&p)
	if err != nil {
		return fmt.Errorf("memcached: set: %w", err)
	}
	if err := s.enter("set"); err != nil {
		return err
	}
	defer s.mu.RUnlock()

	if err := s.rt.set(ctx, w.item, p.Value, w.exptime); err != nil {
		err = setError(err, s.planner.MaxValueSize)
		if len(w.indexes) > 0 && mayHaveApplied(err) {
			return s.removeAgain(ctx, w.item, "set: session write failed but may have been applied", err)
		}
		return err
	}
	c := change{key: p.Key, expiry: p.Expiry, ttl: p.TTLSeconds, old: p.Rotation.Key}
	for _, ik := range w.indexes {
		if err := s.index.apply(ctx, ik, c, now); err != nil {
			return s.removeAgain(ctx, w.item, "set: index update failed", err)
		}
	}
	if w.old == "" {
		return nil
	}
	if p.Rotation.Remember {
		err = s.rt.delete(ctx, w.old)
	} else {
		err = s.rt.touch(ctx, w.old, w.oldExptime)
	}
	// A missing old key is fine and is not created.
	if err != nil && !errors.Is(err, errMiss) {
		return fmt.Errorf("memcached: set: session stored and indexed, old key not rotated: %w", err)
	}
	return nil
}

// removeAgain deletes a session item that may be readable while its index
// does not list it (contract 2.17: fail closed), with a short deadline of
// its own because the caller's ctx may be what ended. what says what
// failed; the error wraps cause.
func (s *Storage) removeAgain(ctx context.Context, item, what string, cause error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeAgainTimeout)
	defer cancel()
	if err := s.rt.delete(rctx, item); err != nil && !errors.Is(err, errMiss) {
		return fmt.Errorf("memcached: %s, and removing the session failed too (it may stay readable): %w", what, errors.Join(cause, err))
	}
	return fmt.Errorf("memcached: %s; session removed: %w", what, cause)
}

// setError wraps an error of writing the session item. One too large for
// its server is the caller's argument error, naming the largest value that
// fits.
func setError(err error, configured int) error {
	var tl *itemTooLargeError
	switch {
	case !errors.As(err, &tl):
		return fmt.Errorf("memcached: %w", err) // "memcached: set: …"
	case tl.maxValue <= 0: // the server's limit is not known
		return fmt.Errorf("memcached: set: %w", driver.TooLarge("value", configured))
	}
	return fmt.Errorf("memcached: set: %w", driver.TooLarge("value", tl.maxValue))
}

// Get implements session.Storage: one round trip.
func (s *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	p, err := s.planner.Get(ctx, name, key)
	if err != nil {
		return nil, fmt.Errorf("memcached: get: %w", err)
	}
	var buf keyBuf
	item, err := wireKey(p.AppendItem(buf[:0]), "key")
	if err != nil {
		return nil, fmt.Errorf("memcached: get: %w", err)
	}
	if err := s.enter("get"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	f, err := s.rt.get(ctx, item)
	switch {
	case errors.Is(err, errMiss):
		return nil, fmt.Errorf("memcached: get: %w", session.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("memcached: %w", err) // "memcached: get: …"
	case f.value == nil:
		return []byte{}, nil
	}
	return f.value, nil
}

// Delete implements session.Storage. It takes the key out of each index
// first and deletes the session after (contract 2.17). If an index update
// fails, it returns the error with the session still there, unless the
// update may have been applied (it failed after it was sent): the session
// is then deleted too, as it may no longer be listed. Deleting a missing
// key succeeds.
func (s *Storage) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	p, err := s.planner.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return fmt.Errorf("memcached: delete: %w", err)
	}
	var buf keyBuf
	item, err := wireKey(p.AppendItem(buf[:0]), "key")
	if err != nil {
		return fmt.Errorf("memcached: delete: %w", err)
	}
	indexes, err := indexKeys(len(p.Metadata), p.AppendIndexItem)
	if err != nil {
		return fmt.Errorf("memcached: delete: %w", err)
	}
	if err := s.enter("delete"); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	for _, ik := range indexes {
		if err := s.index.apply(ctx, ik, change{old: p.Key}, now); err != nil {
			if mayHaveApplied(err) {
				return s.removeAgain(ctx, item, "delete: index update failed but may have been applied", err)
			}
			return fmt.Errorf("memcached: delete: index update failed, session kept: %w", err)
		}
	}
	if err := s.rt.delete(ctx, item); err != nil && !errors.Is(err, errMiss) {
		return fmt.Errorf("memcached: %w", err) // "memcached: delete: …"
	}
	return nil
}

// ReadMetadata implements session.Storage: one round trip, no write. A
// damaged index yields its well-formed live entries with an error matching
// session.ErrCorruptIndex, and the next write of this Storage to it repairs
// it.
func (s *Storage) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	p, err := s.planner.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, fmt.Errorf("memcached: read metadata: %w", err)
	}
	var buf keyBuf
	ik, err := wireKey(p.AppendIndexItem(buf[:0]), "subject")
	if err != nil {
		return nil, fmt.Errorf("memcached: read metadata: %w", err)
	}
	if err := s.enter("read metadata"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	live, err := s.index.read(ctx, ik, now)
	if live == nil {
		return nil, fmt.Errorf("memcached: read metadata: %w", err)
	}
	out := make(map[string]time.Time, len(live))
	for k, exp := range live {
		out[k] = time.Unix(exp, 0)
	}
	if err != nil {
		return out, fmt.Errorf("memcached: read metadata: %w", err)
	}
	return out, nil
}
