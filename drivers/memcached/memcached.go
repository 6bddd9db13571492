package memcached

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessionstore/sessionstore/session"
)

// ErrServer reports an error answer or an unexpected answer from memcached.
// Its text names the kind of answer only: the answer itself is not quoted,
// because a desynchronised connection could echo session data.
var ErrServer = errors.New("memcached: server error")

// Storage is a session.Storage backed by memcached. It is safe for
// concurrent use. Create it with New and Close it when done.
type Storage struct {
	naming  session.Naming
	pool    *pool
	maxVal  int
	idx     indexCache
	trips   atomic.Uint64
	mu      sync.RWMutex // held shared by every call, exclusively by Close
	closed  bool
	primary *server
}

var (
	_ session.Storage          = (*Storage)(nil)
	_ session.EndpointReporter = (*Storage)(nil)
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
	return &Storage{
		naming:  session.Naming{Prefix: set.naming.Prefix, Suffix: set.naming.Suffix},
		pool:    p,
		maxVal:  set.maxValueSize,
		idx:     indexCache{max: indexCacheSize},
		primary: set.servers[0],
	}, nil
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
	return releasePool(s.pool)
}

// Endpoint implements session.EndpointReporter: the single server, or the
// first of several.
func (s *Storage) Endpoint() session.Endpoint {
	return session.Endpoint{System: "memcached", Address: s.primary.host, Port: s.primary.port}
}

// RoundTrips returns how many requests this Storage has sent to memcached.
// Tests and benchmarks use it to count round trips per operation.
func (s *Storage) RoundTrips() uint64 { return s.trips.Load() }

// enter starts a call; on success the caller ends it with s.mu.RUnlock.
// (Returning the method value s.mu.RUnlock would allocate on every call.)
func (s *Storage) enter() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("memcached: %w", session.ErrClosed)
	}
	return nil
}

// do runs one round trip to the server owning wireKey on one of its lanes.
// It checks ctx first; the request's deadlines are capped by ctx's, and a
// cancelled ctx interrupts it (gomemcache takes no context: the lane's
// connection carries it).
func (s *Storage) do(ctx context.Context, wireKey string, fn func(c *memcache.Client) error) error {
	if err := session.CheckContext(ctx); err != nil {
		return err
	}
	srv, err := s.pool.selector.pick(wireKey)
	if err != nil {
		return err
	}
	sl := s.pool.slots[srv.address]
	l, err := sl.acquire(ctx)
	if err != nil {
		return err
	}
	defer sl.release(l)
	l.begin(ctx)
	s.trips.Add(1)
	err = fn(l.client)
	l.end()
	if err == nil {
		return nil
	}
	return callError(ctx, err)
}

// callError adds ctx's error to a network error that ctx may have caused.
// It is apart from do so that its error target, which escapes, is only
// allocated when a call fails.
func callError(ctx context.Context, err error) error {
	var ne net.Error
	if !errors.As(err, &ne) {
		return err
	}
	// A network error may be ctx cutting the request short: by an interrupt,
	// or by the deadline the conn took from ctx, which can pass a moment
	// before ctx itself reports it.
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if d, ok := ctx.Deadline(); ok && ne.Timeout() && !time.Now().Before(d) {
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// keyBuf is a stack buffer for building a key: a wire key is at most
// MaxKeyLength bytes, so in the common case neither the logical key nor its
// escaped form leaves the stack and the key costs one allocation, the final
// string.
type keyBuf [MaxKeyLength + 6]byte

// wireKey returns the escaped key and checks memcached's length limit.
func wireKey(logical []byte, arg string) (string, error) {
	var buf keyBuf
	k := escapeKey(buf[:0], logical)
	if len(k) > MaxKeyLength {
		return "", &session.ArgumentError{Arg: arg, Reason: "too long for a memcached key after escaping", Limit: MaxKeyLength}
	}
	return string(k), nil
}

func (s *Storage) sessionKey(name, key, arg string) (string, error) {
	var buf keyBuf
	return wireKey(s.naming.AppendSessionKey(buf[:0], name, key), arg)
}

func (s *Storage) indexKey(name, audience, subject, arg string) (string, error) {
	var buf keyBuf
	return wireKey(s.naming.AppendIndexKey(buf[:0], name, audience, subject), arg)
}

func (s *Storage) indexKeys(name string, md []session.Pair, arg func(i int) string) ([]string, error) {
	keys := make([]string, len(md))
	for i, p := range md {
		k, err := s.indexKey(name, p.Audience, p.Subject, arg(i))
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
}

func mdArg(i int) string { return "metadata[" + strconv.Itoa(i) + "]" }

// Set implements session.Storage. A plain Set is one round trip. A rotation
// sets the new key, then touches the old one to StaleTTL (memcached's touch
// sets the expiry, so it may also extend it) or deletes it with Remember,
// then updates each index: one append per pair in the common case, see
// the package documentation. If an index update fails, the session is
// stored and the error says so.
func (s *Storage) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := session.CheckContext(ctx); err != nil {
		return err
	}
	if err := session.CheckSet(name, key, ttl, opts); err != nil {
		return err
	}
	if err := session.CheckValueSize(value, s.maxVal); err != nil {
		return err
	}
	exptime, ok := wireExpiry(ttl, now)
	if !ok {
		return &session.ArgumentError{Arg: "ttl", Reason: "expiry beyond memcached's range (January 2038)"}
	}
	wk, err := s.sessionKey(name, key, "key")
	if err != nil {
		return err
	}
	var oldWK string
	var staleExp int32
	if opts.OldKey != "" {
		if oldWK, err = s.sessionKey(name, opts.OldKey, "opts.OldKey"); err != nil {
			return err
		}
		if staleExp, ok = wireExpiry(opts.EffectiveStaleTTL(), now); !ok {
			return &session.ArgumentError{Arg: "opts.StaleTTL", Reason: "expiry beyond memcached's range (January 2038)"}
		}
	}
	idxKeys, err := s.indexKeys(name, opts.Metadata, mdArg)
	if err != nil {
		return err
	}

	if err := s.enter(); err != nil {
		return err
	}
	defer s.mu.RUnlock()

	err = s.do(ctx, wk, func(c *memcache.Client) error {
		return c.Set(&memcache.Item{Key: wk, Value: value, Expiration: exptime})
	})
	if err != nil {
		return s.wireError("set", err)
	}
	if oldWK != "" {
		err = s.do(ctx, oldWK, func(c *memcache.Client) error {
			if opts.Remember {
				return c.Delete(oldWK)
			}
			return c.Touch(oldWK, staleExp)
		})
		// A missing old key is fine and is not created.
		if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
			return s.wireError("rotate old key", err)
		}
	}
	if len(idxKeys) == 0 {
		return nil
	}
	u := indexUpdate{
		key:    key,
		expiry: session.ExpiryUnix(now, ttl),
		ttl:    session.CeilSeconds(ttl),
		old:    opts.OldKey,
	}
	for _, ik := range idxKeys {
		if err := s.updateIndex(ctx, ik, u, now); err != nil {
			return fmt.Errorf("memcached: session stored, index update failed: %w", err)
		}
	}
	return nil
}

// Get implements session.Storage: one round trip.
func (s *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := session.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := session.CheckGet(name, key); err != nil {
		return nil, err
	}
	wk, err := s.sessionKey(name, key, "key")
	if err != nil {
		return nil, err
	}
	it, err := s.fetch(ctx, wk)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, fmt.Errorf("memcached: get: %w", session.ErrNotFound)
	}
	if err != nil {
		return nil, s.wireError("get", err)
	}
	if it.Value == nil {
		return []byte{}, nil
	}
	return it.Value, nil
}

// Delete implements session.Storage: one round trip, plus one append per
// metadata pair. Deleting a missing key succeeds.
func (s *Storage) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if err := session.CheckContext(ctx); err != nil {
		return err
	}
	if err := session.CheckDelete(name, key, metadata); err != nil {
		return err
	}
	wk, err := s.sessionKey(name, key, "key")
	if err != nil {
		return err
	}
	idxKeys, err := s.indexKeys(name, metadata, mdArg)
	if err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	err = s.do(ctx, wk, func(c *memcache.Client) error { return c.Delete(wk) })
	if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return s.wireError("delete", err)
	}
	for _, ik := range idxKeys {
		if err := s.updateIndex(ctx, ik, indexUpdate{old: key}, now); err != nil {
			return fmt.Errorf("memcached: session deleted, index update failed: %w", err)
		}
	}
	return nil
}

// ReadMetadata implements session.Storage: one round trip, no write.
func (s *Storage) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := session.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := session.CheckReadMetadata(name, audience, subject); err != nil {
		return nil, err
	}
	ik, err := s.indexKey(name, audience, subject, "subject")
	if err != nil {
		return nil, err
	}
	it, err := s.fetch(ctx, ik)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return map[string]time.Time{}, nil
	}
	if err != nil {
		return nil, s.wireError("read metadata", err)
	}
	live, err := parseIndex(it.Value, now.Unix())
	if err != nil {
		s.idx.forget(ik) // the next write to this index rewrites it
		return nil, fmt.Errorf("memcached: read metadata: %w: %w", session.ErrCorruptIndex, err)
	}
	out := make(map[string]time.Time, len(live))
	for k, exp := range live {
		out[k] = time.Unix(exp, 0)
	}
	return out, nil
}

// errOtherKey reports an answer for a key that was not asked for, which
// gomemcache passes on unchecked.
var errOtherKey = fmt.Errorf("%w: answer for another key", ErrServer)

// fetch reads one item in one round trip: the read path of Get and
// ReadMetadata. A miss is memcache.ErrCacheMiss, unwrapped.
func (s *Storage) fetch(ctx context.Context, wireKey string) (*memcache.Item, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var it *memcache.Item
	err := s.do(ctx, wireKey, func(c *memcache.Client) error {
		var err error
		it, err = getItem(c, wireKey)
		return err
	})
	return it, err
}

// getItem is gomemcache's Get, checked to answer for the key asked.
func getItem(c *memcache.Client, key string) (*memcache.Item, error) {
	it, err := c.Get(key)
	if err == nil && it.Key != key {
		return nil, errOtherKey
	}
	return it, err
}

// wireError wraps an error of gomemcache or the network. Errors gomemcache
// builds from a server answer quote the answer, which after a
// desynchronisation could hold session data, so they are replaced by
// ErrServer with the kind of answer only.
func (s *Storage) wireError(op string, err error) error {
	var (
		ne   net.Error
		cte  *memcache.ConnectTimeoutError
		rhe  tls.RecordHeaderError
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		hne  x509.HostnameError
		cie  x509.CertificateInvalidError
		ae   *tls.AlertError
		sent = []error{
			context.Canceled, context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF,
			ErrPoolExhausted, errNoServers, ErrServer, session.ErrClosed, session.ErrInvalidArgument,
			memcache.ErrMalformedKey, memcache.ErrNotStored, memcache.ErrCASConflict, memcache.ErrCacheMiss,
		}
	)
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SERVER_ERROR object too large"):
		return fmt.Errorf("memcached: %s: %w", op, &session.ArgumentError{Arg: "value", Reason: "rejected by the server as too large", Limit: s.maxVal})
	case strings.Contains(msg, "SERVER_ERROR"):
		return fmt.Errorf("memcached: %s: %w (SERVER_ERROR answer)", op, ErrServer)
	case strings.Contains(msg, "CLIENT_ERROR"):
		return fmt.Errorf("memcached: %s: %w (CLIENT_ERROR answer)", op, ErrServer)
	case errors.As(err, &cte), errors.As(err, &ne), errors.As(err, &rhe), errors.As(err, &cve),
		errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie), errors.As(err, &ae):
		return fmt.Errorf("memcached: %s: %w", op, err)
	}
	for _, e := range sent {
		if errors.Is(err, e) {
			return fmt.Errorf("memcached: %s: %w", op, err)
		}
	}
	return fmt.Errorf("memcached: %s: %w (unexpected answer)", op, ErrServer)
}
