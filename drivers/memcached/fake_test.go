package memcached

import (
	"bytes"
	"context"
	"strings"
	"sync"
)

// fakeMemcached is an in-memory roundTripper for the unit tests of the
// operations and the index logic: it keeps items, versions them for cas,
// and logs every request as "cmd key" in order. fail makes a command fail,
// and before runs ahead of each request (to interleave another writer).
// Expiry is not modelled.
type fakeMemcached struct {
	mu      sync.Mutex
	items   map[string]*fakeItem
	version uint64
	log     []string
	ctxErrs []error // ctx.Err() at each request, in log order

	fail   map[string]error // by command, every time
	before func(cmd, key string)
}

type fakeItem struct {
	value   []byte
	version uint64
	exptime int32
}

func newFake() *fakeMemcached {
	return &fakeMemcached{items: map[string]*fakeItem{}, fail: map[string]error{}}
}

var _ roundTripper = (*fakeMemcached)(nil)

// request logs one request and returns its injected failure, if any.
func (f *fakeMemcached) request(ctx context.Context, cmd, key string) error {
	if f.before != nil {
		f.before(cmd, key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, cmd+" "+key)
	f.ctxErrs = append(f.ctxErrs, ctx.Err())
	return f.fail[cmd]
}

func (f *fakeMemcached) store(key string, value []byte, exptime int32) {
	f.version++
	f.items[key] = &fakeItem{value: bytes.Clone(value), version: f.version, exptime: exptime}
}

func (f *fakeMemcached) get(ctx context.Context, key string) (fetched, error) {
	if err := f.request(ctx, "get", key); err != nil {
		return fetched{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	if !ok {
		return fetched{}, errMiss
	}
	return fetched{value: bytes.Clone(it.value), token: it.version}, nil
}

func (f *fakeMemcached) set(ctx context.Context, key string, value []byte, exptime int32) error {
	if err := f.request(ctx, "set", key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store(key, value, exptime)
	return nil
}

func (f *fakeMemcached) add(ctx context.Context, key string, value []byte, exptime int32) error {
	if err := f.request(ctx, "add", key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[key]; ok {
		return errNotStored
	}
	f.store(key, value, exptime)
	return nil
}

func (f *fakeMemcached) append(ctx context.Context, key string, value []byte) error {
	if err := f.request(ctx, "append", key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	if !ok {
		return errNotStored
	}
	f.store(key, append(bytes.Clone(it.value), value...), it.exptime)
	return nil
}

func (f *fakeMemcached) cas(ctx context.Context, key string, fe fetched, value []byte, exptime int32) error {
	if err := f.request(ctx, "cas", key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	switch {
	case !ok:
		return errMiss
	case it.version != fe.token:
		return errConflict
	}
	f.store(key, value, exptime)
	return nil
}

func (f *fakeMemcached) touch(ctx context.Context, key string, exptime int32) error {
	if err := f.request(ctx, "touch", key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	if !ok {
		return errMiss
	}
	it.exptime = exptime
	return nil
}

func (f *fakeMemcached) delete(ctx context.Context, key string) error {
	if err := f.request(ctx, "delete", key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[key]; !ok {
		return errMiss
	}
	delete(f.items, key)
	return nil
}

func (f *fakeMemcached) sent() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return uint64(len(f.log))
}

// value returns the item under key ("" and false when there is none).
func (f *fakeMemcached) value(key string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	if !ok {
		return "", false
	}
	return string(it.value), true
}

// put stores an item as another writer would.
func (f *fakeMemcached) put(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store(key, []byte(value), 0)
}

// requests returns the log since mark and the new mark.
func (f *fakeMemcached) requests(mark int) ([]string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log[mark:]...), len(f.log)
}

// short shortens the keys of a log for reading: the session item of key k
// is "S:k"… as the test names them; see fakeStorage.
func short(log []string, names map[string]string) string {
	out := make([]string, len(log))
	for i, l := range log {
		cmd, key, _ := strings.Cut(l, " ")
		if n, ok := names[key]; ok {
			key = n
		}
		out[i] = cmd + " " + key
	}
	return strings.Join(out, ", ")
}
