package memcached

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sessionstore/sessionstore/session/driver"
)

// The index logic: how one change reaches one index item, through a
// roundTripper (the algorithm is described in the package documentation,
// "Index items").

const (
	// appendLimit is how much garbage (dead entries, markers, superseded
	// entries) an item may hold before a writer compacts it.
	appendLimit = 2048
	// maxCASAttempts bounds the reads and rewrites of one update.
	maxCASAttempts = 16
)

var (
	errIndexContention = errors.New("too many concurrent writers, gave up")
	// errIndexFull reports an index whose live entries no longer fit the
	// server's item size limit.
	errIndexFull = errors.New("index item full")
)

// indexer updates and reads index items.
type indexer struct {
	rt    roundTripper
	cache indexCache
}

// apply makes change c in the index item ik. It appends without reading
// when this Storage knows enough of the item, and otherwise reads it and
// appends or rewrites it compacted under compare-and-swap, retrying lost
// races with a short jittered backoff.
func (x *indexer) apply(ctx context.Context, ik string, c change, now time.Time) error {
	for attempt := range maxCASAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		// Asked on every attempt: after a conflict, the writer that won may
		// have been this Storage, and then an append is enough.
		if known, ok := x.cache.appendable(ik, c, c.payloadLen()); ok {
			payload := c.appendPayload(nil, known)
			err := x.rt.append(ctx, ik, payload)
			switch {
			case err == nil:
				x.cache.appended(ik, len(payload))
				return nil
			case !errors.Is(err, errNotStored):
				return err
			}
			x.cache.forget(ik) // gone, or too full to take the append
			if c.key == "" {
				// Nothing to take the key out of; and an item too full for
				// a marker is compacted by the next write of a live entry.
				return nil
			}
		}
		done, err := x.readAndWrite(ctx, ik, c, now)
		if err != nil || done {
			return err
		}
	}
	return errIndexContention
}

// readAndWrite is one attempt that reads the item first. done is false
// when the attempt lost a race and must be repeated.
func (x *indexer) readAndWrite(ctx context.Context, ik string, c change, now time.Time) (done bool, err error) {
	nowUnix := now.Unix()
	f, err := x.rt.get(ctx, ik)
	if errors.Is(err, errMiss) {
		if c.key == "" {
			return true, nil // a marker needs no index, and none is created
		}
		live := map[string]int64{}
		c.applyTo(live, nowUnix)
		rw := compact(live, 0, nowUnix, c)
		switch err := x.rt.add(ctx, ik, rw.value, exptimeAt(rw.exptime, now)); {
		case err == nil:
			x.cache.store(ik, rw.exptime, 0)
			return true, nil
		case errors.Is(err, errNotStored):
			return false, nil // created meanwhile: read it
		default:
			return false, indexWriteError(err)
		}
	}
	if err != nil {
		return false, err
	}

	head := leadingHeader(f.value)
	// A damaged item still yields every well-formed entry; the rewrite
	// below keeps them all and drops only the damage (the repair).
	live, damage := driver.LiveIndex(f.value, nowUnix)
	c.applyTo(live, nowUnix)
	rw := compact(live, head, nowUnix, c)
	payload := c.appendPayload(nil, head)
	// An append is safe on an undamaged item whose header says it outlives
	// the new entry (a marker needs no lifetime).
	appendOK := damage == nil && (c.key == "" || head >= c.expiry)
	garbage := len(f.value) + len(payload) - len(rw.value)
	if appendOK && garbage <= appendLimit {
		switch err := x.rt.append(ctx, ik, payload); {
		case err == nil:
			x.cache.store(ik, head, garbage)
			return true, nil
		case !errors.Is(err, errNotStored):
			return false, err
		}
		// Gone (the cas below then misses too), or too full for the
		// append: rewrite it compacted.
	}

	switch err := x.rt.cas(ctx, ik, f, rw.value, exptimeAt(rw.exptime, now)); {
	case err == nil:
		x.cache.store(ik, rw.exptime, 0)
		return true, nil
	case errors.Is(err, errConflict), errors.Is(err, errMiss), errors.Is(err, errNotStored):
	default:
		return false, indexWriteError(err)
	}
	// Lost a race. Append instead when that is safe, so that a busy index
	// never starves a writer (a later write compacts it).
	if !appendOK {
		return false, nil
	}
	switch err := x.rt.append(ctx, ik, payload); {
	case err == nil:
		x.cache.store(ik, head, appendLimit) // still to compact
		return true, nil
	case errors.Is(err, errNotStored):
		return false, nil
	default:
		return false, err
	}
}

// read returns the live entries of the index item ik at now. A damaged
// item yields its well-formed entries and an error matching
// session.ErrCorruptIndex, and is forgotten, so that the next write reads
// it and rewrites it whole.
func (x *indexer) read(ctx context.Context, ik string, now time.Time) (map[string]int64, error) {
	f, err := x.rt.get(ctx, ik)
	if errors.Is(err, errMiss) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	live, err := driver.LiveIndex(f.value, now.Unix())
	if err != nil {
		x.cache.forget(ik)
	}
	return live, err
}

// payloadLen is len(c.appendPayload(nil, e)) for any e.
func (c change) payloadLen() int {
	n := headerLen + 1
	if c.key != "" {
		n += driver.IndexEntryLen(len(c.key))
	}
	if c.old != "" {
		n += len(c.old) + 1
	}
	return n
}

// indexWriteError turns an index item too large for its server into
// errIndexFull: the item is not the caller's value.
func indexWriteError(err error) error {
	var tl *itemTooLargeError
	if errors.As(err, &tl) {
		return fmt.Errorf("%w: %w", errIndexFull, err)
	}
	return err
}

// backoff sleeps a jittered time that doubles with each attempt (from
// about 1 ms, at most 50 ms), or until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	ceil := min(time.Millisecond<<min(attempt, 10), 50*time.Millisecond)
	d := ceil/2 + rand.N(ceil/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("index update: %w", ctx.Err())
	}
}
