package scsstore_test

import (
	"context"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

// call is one call the adapter made of the Storage.
type call struct {
	op    string // "set", "get", "delete", "read_metadata"
	ctx   context.Context
	name  string
	key   string
	ttl   time.Duration
	now   time.Time
	pairs []session.Pair // Set's opts.Metadata, Delete's metadata
}

// recorder is a session.Storage over the memory driver that records every
// call and fails the operations listed in fail with the given error instead
// of running them.
type recorder struct {
	next *memory.Store

	mu    sync.Mutex
	calls []call
	fail  map[string]error
}

var _ session.Storage = (*recorder)(nil)

func newRecorder(opts ...memory.Option) *recorder {
	return &recorder{next: memory.New(opts...), fail: map[string]error{}}
}

func (r *recorder) record(c call) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	return r.fail[c.op]
}

// failWith makes op fail with err from now on (nil: succeed again).
func (r *recorder) failWith(op string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[op] = err
}

// log returns the calls so far and forgets them.
func (r *recorder) log() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// ops returns the operations of the calls so far and forgets them.
func (r *recorder) ops() []string {
	var ops []string
	for _, c := range r.log() {
		ops = append(ops, c.op)
	}
	return ops
}

func (r *recorder) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := r.record(call{op: "set", ctx: ctx, name: name, key: key, ttl: ttl, now: now, pairs: opts.Metadata}); err != nil {
		return err
	}
	return r.next.Set(ctx, name, key, value, ttl, now, opts)
}

func (r *recorder) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := r.record(call{op: "get", ctx: ctx, name: name, key: key}); err != nil {
		return nil, err
	}
	return r.next.Get(ctx, name, key)
}

func (r *recorder) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if err := r.record(call{op: "delete", ctx: ctx, name: name, key: key, now: now, pairs: metadata}); err != nil {
		return err
	}
	return r.next.Delete(ctx, name, key, now, metadata)
}

func (r *recorder) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := r.record(call{op: "read_metadata", ctx: ctx, name: name, now: now}); err != nil {
		return nil, err
	}
	return r.next.ReadMetadata(ctx, name, audience, subject, now)
}

func (r *recorder) Close() error { return r.next.Close() }
