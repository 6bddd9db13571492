package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// The broken drivers of faults(): each injects one fault into the reference
// driver.

// truncatesNow drops the fraction of a second of now, as version 1's
// expiry arithmetic did.
type truncatesNow struct{ wrapper }

func (w truncatesNow) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	return w.refStore.Set(ctx, name, key, value, ttl, now.Truncate(time.Second), opts)
}

// dropsOnReject loses the previous value when it rejects a value as too
// large, as memcached does when it refuses an item.
type dropsOnReject struct{ wrapper }

func (w dropsOnReject) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	err := w.refStore.Set(ctx, name, key, value, ttl, now, opts)
	if errors.Is(err, session.ErrTooLarge) {
		_ = w.refStore.Delete(ctx, name, key, now, nil)
	}
	return err
}

// losesIndexUpdates drops the metadata of every 10th Set, as a
// read-modify-write without compare-and-swap does under races.
type losesIndexUpdates struct {
	wrapper
	mu sync.Mutex
	n  int
}

func (w *losesIndexUpdates) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	w.mu.Lock()
	w.n++
	drop := w.n%10 == 0
	w.mu.Unlock()
	if drop {
		opts.Metadata = nil
	}
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

// servesExpired answers a miss from a copy of everything ever stored.
type servesExpired struct {
	wrapper
	mu     sync.Mutex
	shadow map[string][]byte
}

func (w *servesExpired) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	err := w.refStore.Set(ctx, name, key, value, ttl, now, opts)
	if err == nil {
		w.mu.Lock()
		w.shadow[name+"\x00"+key] = append([]byte{}, value...)
		w.mu.Unlock()
	}
	return err
}

func (w *servesExpired) Get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := w.refStore.Get(ctx, name, key)
	if errors.Is(err, session.ErrNotFound) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if v, ok := w.shadow[name+"\x00"+key]; ok {
			return v, nil
		}
	}
	return v, err
}

func (w *servesExpired) Delete(ctx context.Context, name, key string, now time.Time, md []session.Pair) error {
	w.mu.Lock()
	delete(w.shadow, name+"\x00"+key)
	w.mu.Unlock()
	return w.refStore.Delete(ctx, name, key, now, md)
}

// deleteMissingFails reports NOT_FOUND for a missing key, as Lua's
// memcached backend does.
type deleteMissingFails struct{ wrapper }

func (w deleteMissingFails) Delete(ctx context.Context, name, key string, now time.Time, md []session.Pair) error {
	if _, err := w.refStore.Get(ctx, name, key); errors.Is(err, session.ErrNotFound) {
		return fmt.Errorf("delete: NOT_FOUND: %w", session.ErrNotFound)
	}
	return w.refStore.Delete(ctx, name, key, now, md)
}

// leaksKey quotes the key in its errors.
type leaksKey struct{ wrapper }

func (w leaksKey) Get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := w.refStore.Get(ctx, name, key)
	if err != nil {
		err = fmt.Errorf("get %q: %w", key, err)
	}
	return v, err
}

// setOpts edits the options of every Set.
type setOpts struct {
	wrapper
	edit func(*session.SetOptions)
}

func (w setOpts) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := driver.CheckSet(name, key, ttl, opts); err != nil {
		return err
	}
	w.edit(&opts)
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

// extendsOld rewrites the old key of a rotation with TTL StaleTTL, which
// can make it live longer than it would have.
type extendsOld struct{ wrapper }

func (w extendsOld) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	var old []byte
	var oldErr error = session.ErrNotFound
	if opts.OldKey != "" && !opts.Remember {
		old, oldErr = w.refStore.Get(ctx, name, opts.OldKey)
	}
	if err := w.refStore.Set(ctx, name, key, value, ttl, now, opts); err != nil {
		return err
	}
	if oldErr == nil {
		return w.refStore.Set(ctx, name, opts.OldKey, old, staleTTL(opts), now, session.SetOptions{})
	}
	return nil
}

// createsOld stores an empty old key when a rotation's old key is missing.
type createsOld struct{ wrapper }

func (w createsOld) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := w.refStore.Set(ctx, name, key, value, ttl, now, opts); err != nil {
		return err
	}
	if opts.OldKey != "" && !opts.Remember {
		if _, err := w.refStore.Get(ctx, name, opts.OldKey); errors.Is(err, session.ErrNotFound) {
			return w.refStore.Set(ctx, name, opts.OldKey, nil, staleTTL(opts), now, session.SetOptions{})
		}
	}
	return nil
}

// acceptsBadTTL stores a TTL ≤ 0 as one hour.
type acceptsBadTTL struct{ wrapper }

func (w acceptsBadTTL) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if ttl <= 0 {
		ttl = time.Hour
	}
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

// ignoresCtx never looks at its context.
type ignoresCtx struct{ wrapper }

func (w ignoresCtx) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	return w.refStore.Set(context.WithoutCancel(ctx), name, key, value, ttl, now, opts)
}

func (w ignoresCtx) Get(ctx context.Context, name, key string) ([]byte, error) {
	return w.refStore.Get(context.WithoutCancel(ctx), name, key)
}

func (w ignoresCtx) Delete(ctx context.Context, name, key string, now time.Time, md []session.Pair) error {
	return w.refStore.Delete(context.WithoutCancel(ctx), name, key, now, md)
}

func (w ignoresCtx) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	return w.refStore.ReadMetadata(context.WithoutCancel(ctx), name, audience, subject, now)
}

// listsAtNow filters with expiry >= now instead of expiry > now.
type listsAtNow struct{ wrapper }

func (w listsAtNow) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	return w.refStore.ReadMetadata(ctx, name, audience, subject, now.Add(-time.Second))
}

// emptyIsMiss treats an empty value as a miss, as a `value == ""` check does.
type emptyIsMiss struct{ wrapper }

func (w emptyIsMiss) Get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := w.refStore.Get(ctx, name, key)
	if err == nil && len(v) == 0 {
		return nil, session.ErrNotFound
	}
	return v, err
}

// transportMiss passes the client library's miss error through unwrapped.
type transportMiss struct{ wrapper }

func (w transportMiss) Get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := w.refStore.Get(ctx, name, key)
	if errors.Is(err, session.ErrNotFound) {
		return nil, errors.New("memcache: cache miss")
	}
	return v, err
}

// indexIgnoresName lists the index of every cookie name it has seen, as an
// index key without the name would.
type indexIgnoresName struct {
	wrapper
	mu    sync.Mutex
	names map[string]bool
}

func (w *indexIgnoresName) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	err := w.refStore.Set(ctx, name, key, value, ttl, now, opts)
	if err == nil {
		w.mu.Lock()
		w.names[name] = true
		w.mu.Unlock()
	}
	return err
}

func (w *indexIgnoresName) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	out, err := w.refStore.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for other := range w.names {
		m, err := w.refStore.ReadMetadata(ctx, other, audience, subject, now)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			out[k] = v
		}
	}
	return out, nil
}

// crossPairs indexes under every audience × subject combination, as
// parallel arrays zipped the wrong way would.
type crossPairs struct{ wrapper }

func (w crossPairs) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := driver.CheckSet(name, key, ttl, opts); err != nil {
		return err
	}
	var md []session.Pair
	for _, a := range opts.Metadata {
		for _, s := range opts.Metadata {
			md = append(md, session.Pair{Audience: a.Audience, Subject: s.Subject})
		}
	}
	opts.Metadata = md
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

// truncatesTTL drops the fraction of a second of a TTL.
type truncatesTTL struct{ wrapper }

func (w truncatesTTL) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if ttl > 0 {
		ttl = max(ttl.Truncate(time.Second), time.Nanosecond)
	}
	if ttl < time.Second {
		// The index gets now+0: listed as already expired.
		if err := w.refStore.Set(ctx, name, key, value, ttl, now, session.SetOptions{OldKey: opts.OldKey, StaleTTL: opts.StaleTTL, Remember: opts.Remember}); err != nil {
			return err
		}
		return nil
	}
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

// aliases keeps the caller's slice and serves it back.
type aliases struct {
	wrapper
	mu   sync.Mutex
	bufs map[string][]byte
}

func (w *aliases) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	err := w.refStore.Set(ctx, name, key, value, ttl, now, opts)
	if err == nil {
		w.mu.Lock()
		w.bufs[name+"\x00"+key] = value
		w.mu.Unlock()
	}
	return err
}

func (w *aliases) Get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := w.refStore.Get(ctx, name, key)
	if err == nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		if b, ok := w.bufs[name+"\x00"+key]; ok {
			return b, nil
		}
	}
	return v, err
}

// panicsOnSpace panics on a key with a space (an unescaped wire protocol).
type panicsOnSpace struct{ wrapper }

func (w panicsOnSpace) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if strings.Contains(key, " ") {
		panic("protocol error")
	}
	return w.refStore.Set(ctx, name, key, value, ttl, now, opts)
}

// truncatesKeys cuts session keys to 250 bytes, as a driver that trims
// rather than rejects memcached's longest key would.
type truncatesKeys struct{ wrapper }

func truncate(key string) string { return key[:min(len(key), 250)] }

func (w truncatesKeys) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	return w.refStore.Set(ctx, name, truncate(key), value, ttl, now, opts)
}

func (w truncatesKeys) Get(ctx context.Context, name, key string) ([]byte, error) {
	return w.refStore.Get(ctx, name, truncate(key))
}

// appendOnly models an index that appends an entry per write and never
// compacts (Lua without its cleanup); its IndexSize grows with every write.
type appendOnly struct {
	wrapper
	mu   sync.Mutex
	size map[string]int
}

func (w *appendOnly) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := w.refStore.Set(ctx, name, key, value, ttl, now, opts); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range opts.Metadata {
		n := driver.IndexEntryLen(len(key))
		if opts.OldKey != "" {
			n += len(opts.OldKey) + 1
		}
		w.size[name+"\x00"+p.Audience+"\x00"+p.Subject] += n
	}
	return nil
}

func (w *appendOnly) sizeOf(name, audience, subject string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size[name+"\x00"+audience+"\x00"+subject]
}

// driverClockIndex computes index expiries from the driver's clock plus a
// minute of skew instead of the caller's now.
type driverClockIndex struct{ wrapper }

func (w driverClockIndex) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	return w.refStore.Set(ctx, name, key, value, ttl, now.Add(time.Minute), opts)
}

// indexTTLReset gives an index item the TTL of its last write, as an EXPIRE
// on every write does: the item vanishes with its shortest-lived last key.
type indexTTLReset struct {
	wrapper
	mu    sync.Mutex
	until map[string]time.Time
}

func (w *indexTTLReset) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := w.refStore.Set(ctx, name, key, value, ttl, now, opts); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range opts.Metadata {
		w.until[name+"\x00"+p.Audience+"\x00"+p.Subject] = now.Add(ttl)
	}
	return nil
}

func (w *indexTTLReset) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	m, err := w.refStore.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if until, ok := w.until[name+"\x00"+audience+"\x00"+subject]; ok && !now.Before(until) {
		return map[string]time.Time{}, nil
	}
	return m, nil
}

// longTTLVanishes loses a session with a TTL over 30 days, as passing it to
// memcached as relative seconds does (memcached reads it as a Unix time in
// 1970).
type longTTLVanishes struct{ wrapper }

func (w longTTLVanishes) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := w.refStore.Set(ctx, name, key, value, ttl, now, opts); err != nil {
		return err
	}
	if ttl > 30*24*time.Hour {
		return w.refStore.Delete(ctx, name, key, now, nil)
	}
	return nil
}

// noopClose has a Close that does nothing.
type noopClose struct{ wrapper }

func (noopClose) Close() error { return nil }
