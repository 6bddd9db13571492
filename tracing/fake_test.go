package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// fakeStore is a small in-memory Storage for tests that must not depend on
// another package: it follows the contract's argument rules (through the
// session.Check functions) and returns fail, when set, from every call.
type fakeStore struct {
	mu      sync.Mutex
	values  map[string][]byte
	indexes map[string]map[string]time.Time
	fail    error
	// lastCtx is the context the last call received, to check propagation.
	lastCtx context.Context
}

func newFake() *fakeStore {
	return &fakeStore{values: map[string][]byte{}, indexes: map[string]map[string]time.Time{}}
}

func (f *fakeStore) enter(ctx context.Context) error {
	f.mu.Lock()
	f.lastCtx = ctx
	fail := f.fail
	f.mu.Unlock()
	if err := session.CheckContext(ctx); err != nil {
		return err
	}
	return fail
}

func (f *fakeStore) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	if err := session.CheckSet(name, key, ttl, opts); err != nil {
		return err
	}
	if err := session.CheckValueSize(value, 1024); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values[name+":"+key] = append([]byte(nil), value...)
	if opts.OldKey != "" && opts.Remember {
		delete(f.values, name+":"+opts.OldKey)
	}
	for _, p := range opts.Metadata {
		ik := name + ":" + p.Audience + ":" + p.Subject
		if f.indexes[ik] == nil {
			f.indexes[ik] = map[string]time.Time{}
		}
		f.indexes[ik][key] = time.Unix(session.ExpiryUnix(now, ttl), 0)
		if opts.OldKey != "" {
			delete(f.indexes[ik], opts.OldKey)
		}
	}
	return nil
}

func (f *fakeStore) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	if err := session.CheckGet(name, key); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.values[name+":"+key]
	if !ok {
		return nil, fmt.Errorf("fake: get: %w", session.ErrNotFound)
	}
	return v, nil
}

func (f *fakeStore) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	if err := session.CheckDelete(name, key, metadata); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.values, name+":"+key)
	for _, p := range metadata {
		delete(f.indexes[name+":"+p.Audience+":"+p.Subject], key)
	}
	return nil
}

func (f *fakeStore) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	if err := session.CheckReadMetadata(name, audience, subject); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]time.Time{}
	for k, exp := range f.indexes[name+":"+audience+":"+subject] {
		if exp.After(now) {
			out[k] = exp
		}
	}
	return out, nil
}

// closerFake and reporterFake add the optional interfaces.
type closerFake struct {
	*fakeStore
	closed int
}

func (c *closerFake) Close() error {
	c.closed++
	return errCloseSentinel
}

var errCloseSentinel = errors.New("fake: close result")

type reporterFake struct {
	*fakeStore
	ep session.Endpoint
}

func (r *reporterFake) Endpoint() session.Endpoint { return r.ep }

type closerReporterFake struct {
	*closerFake
	ep session.Endpoint
}

func (r *closerReporterFake) Endpoint() session.Endpoint { return r.ep }

// leakyError is what a non-conforming transport layer might return: its
// text quotes a server reply that names the key. The wrapper must not copy
// it anywhere.
type leakyError struct{ reply string }

func (e *leakyError) Error() string { return "fake: unexpected reply " + e.reply }
