package conformance_test

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/index"
)

// refStore is a small, obviously correct driver: maps under one mutex, the
// session package's checks and an injected clock. It is the base that the
// broken drivers of the self-test wrap.
type refStore struct {
	clock    func() time.Time
	maxValue int

	mu     sync.Mutex
	closed bool
	items  map[itemKey]refItem
	idx    map[indexKey]map[string]int64
}

type itemKey struct{ name, key string }

type indexKey struct{ name, audience, subject string }

type refItem struct {
	value   []byte
	expires time.Time
}

func newRefStore(clock func() time.Time, maxValue int) *refStore {
	return &refStore{
		clock:    clock,
		maxValue: maxValue,
		items:    map[itemKey]refItem{},
		idx:      map[indexKey]map[string]int64{},
	}
}

func (s *refStore) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := session.CheckContext(ctx); err != nil {
		return err
	}
	if err := session.CheckSet(name, key, ttl, opts); err != nil {
		return err
	}
	if err := session.CheckValueSize(value, s.maxValue); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return session.ErrClosed
	}
	t := s.clock()
	s.items[itemKey{name, key}] = refItem{value: append([]byte{}, value...), expires: t.Add(ttl)}
	if opts.OldKey != "" {
		ok := itemKey{name, opts.OldKey}
		if old, found := s.items[ok]; found && t.Before(old.expires) {
			if opts.Remember {
				delete(s.items, ok)
			} else if until := t.Add(opts.EffectiveStaleTTL()); until.Before(old.expires) {
				old.expires = until
				s.items[ok] = old
			}
		}
	}
	exp := session.ExpiryUnix(now, ttl)
	for _, p := range opts.Metadata {
		ik := indexKey{name, p.Audience, p.Subject}
		m := s.idx[ik]
		if m == nil {
			m = map[string]int64{}
			s.idx[ik] = m
		}
		m[key] = exp
		if opts.OldKey != "" {
			delete(m, opts.OldKey)
		}
		// Compact now and then: an index never grows with expired entries.
		if len(m)%64 == 0 {
			maps.DeleteFunc(m, func(_ string, e int64) bool { return e <= now.Unix() })
		}
	}
	return nil
}

func (s *refStore) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := session.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := session.CheckGet(name, key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, session.ErrClosed
	}
	it, ok := s.items[itemKey{name, key}]
	if !ok || !s.clock().Before(it.expires) {
		return nil, session.ErrNotFound
	}
	return append([]byte{}, it.value...), nil
}

func (s *refStore) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if err := session.CheckContext(ctx); err != nil {
		return err
	}
	if err := session.CheckDelete(name, key, metadata); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return session.ErrClosed
	}
	delete(s.items, itemKey{name, key})
	for _, p := range metadata {
		delete(s.idx[indexKey{name, p.Audience, p.Subject}], key)
	}
	return nil
}

func (s *refStore) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := session.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := session.CheckReadMetadata(name, audience, subject); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, session.ErrClosed
	}
	out := map[string]time.Time{}
	for k, exp := range s.idx[indexKey{name, audience, subject}] {
		if exp > now.Unix() {
			out[k] = time.Unix(exp, 0)
		}
	}
	return out, nil
}

// Close makes every later call fail with session.ErrClosed; it is
// idempotent.
func (s *refStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// indexSize is the size of the index of (name, audience, subject) in the
// lua-resty-session format, as an item that expires with its latest entry;
// it implements Capabilities.IndexSize.
func (s *refStore) indexSize(name, audience, subject string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	item, latest := index.AppendLive(nil, s.idx[indexKey{name, audience, subject}])
	if latest <= s.clock().Unix() {
		return 0
	}
	return len(item)
}
