package memcached

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessionstore/sessionstore/session/driver"
)

// roundTripper is what the operations and the index logic need of
// memcached: one request per call, on one item named by its wire key.
// Besides failures, methods report the answers callers act on as errMiss
// (get, cas, touch, delete), errNotStored (add, append) and errConflict
// (cas), and an item over its server's size limit as *itemTooLargeError.
// A failure after the request was written is an *unsureError
// (mayHaveApplied).
// The index logic is unit-tested against a fake of it.
type roundTripper interface {
	// get reads an item (gets): its value and what cas needs.
	get(ctx context.Context, key string) (fetched, error)
	set(ctx context.Context, key string, value []byte, exptime int32) error
	// add stores an item that does not exist yet.
	add(ctx context.Context, key string, value []byte, exptime int32) error
	// append adds value to the end of an existing item, keeping its exptime.
	append(ctx context.Context, key string, value []byte) error
	// cas replaces the item f was read from if it did not change since.
	cas(ctx context.Context, key string, f fetched, value []byte, exptime int32) error
	touch(ctx context.Context, key string, exptime int32) error
	delete(ctx context.Context, key string) error
	// sent is how many requests were sent so far.
	sent() uint64
}

// fetched is an item as get read it.
type fetched struct {
	value []byte
	// token tells cas which version was read; opaque to callers.
	token any
}

// trips is the roundTripper on a pool: each call picks the key's server,
// takes one of its lanes and sends one request through gomemcache.
type trips struct {
	pool  *pool
	count atomic.Uint64
}

var _ roundTripper = (*trips)(nil)

func (t *trips) sent() uint64 { return t.count.Load() }

func (t *trips) get(ctx context.Context, key string) (fetched, error) {
	var it *memcache.Item
	err := t.do(ctx, "get", key, func(c *memcache.Client) error {
		var err error
		if it, err = c.Get(key); err == nil && it.Key != key {
			return errOtherKey
		}
		return err
	})
	if err != nil {
		return fetched{}, err
	}
	return fetched{value: it.Value, token: it}, nil
}

func (t *trips) set(ctx context.Context, key string, value []byte, exptime int32) error {
	if err := t.fits(ctx, "set", key, len(value)); err != nil {
		return err
	}
	return t.do(ctx, "set", key, func(c *memcache.Client) error {
		return c.Set(&memcache.Item{Key: key, Value: value, Expiration: exptime})
	})
}

func (t *trips) add(ctx context.Context, key string, value []byte, exptime int32) error {
	if err := t.fits(ctx, "add", key, len(value)); err != nil {
		return err
	}
	return t.do(ctx, "add", key, func(c *memcache.Client) error {
		return c.Add(&memcache.Item{Key: key, Value: value, Expiration: exptime})
	})
}

// append is not checked against the item size limit: the item's size is
// not known, and a server refuses an append that does not fit with
// NOT_STORED and keeps the item as it was.
func (t *trips) append(ctx context.Context, key string, value []byte) error {
	return t.do(ctx, "append", key, func(c *memcache.Client) error {
		return c.Append(&memcache.Item{Key: key, Value: value})
	})
}

func (t *trips) cas(ctx context.Context, key string, f fetched, value []byte, exptime int32) error {
	it, ok := f.token.(*memcache.Item)
	if !ok || it.Key != key {
		return errors.New("cas: not an item this driver read")
	}
	if err := t.fits(ctx, "cas", key, len(value)); err != nil {
		return err
	}
	// A copy: gomemcache keeps the cas id in the item, and it must not
	// change under a caller that retries with the same fetched.
	next := *it
	next.Value, next.Expiration = value, exptime
	return t.do(ctx, "cas", key, func(c *memcache.Client) error { return c.CompareAndSwap(&next) })
}

func (t *trips) touch(ctx context.Context, key string, exptime int32) error {
	return t.do(ctx, "touch", key, func(c *memcache.Client) error { return c.Touch(key, exptime) })
}

func (t *trips) delete(ctx context.Context, key string) error {
	return t.do(ctx, "delete", key, func(c *memcache.Client) error { return c.Delete(key) })
}

// fits refuses, before anything is sent, an item that key's server would
// reject as too large. An item small enough for any server needs no
// knowledge of the server; otherwise the server's limit is learned once
// (one more request, counted). When the limit cannot be learned, the item is
// sent, bounded by Config.MaxValueSize only.
func (t *trips) fits(ctx context.Context, cmd, key string, valueLen int) error {
	if len(key)+valueLen+itemOverhead <= minItemSizeMax {
		return nil
	}
	srv, err := t.pool.selector.pick(key)
	if err != nil {
		return wireError(cmd, err)
	}
	limit, asked, err := t.pool.limits.maxItem(ctx, srv)
	if asked {
		t.count.Add(1)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if maxValue := limit - len(key) - itemOverhead; limit > 0 && valueLen > maxValue {
		return &itemTooLargeError{maxValue: maxValue}
	}
	return nil
}

// do runs one round trip to the server owning key on one of its lanes. It
// checks ctx first; the request's deadlines are capped by ctx's, and a
// cancelled ctx interrupts it (gomemcache takes no context: the lane's
// connection carries it).
func (t *trips) do(ctx context.Context, cmd, key string, fn func(c *memcache.Client) error) error {
	if err := driver.CheckContext(ctx); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	srv, err := t.pool.selector.pick(key)
	if err != nil {
		return wireError(cmd, err)
	}
	sl := t.pool.slots[srv]
	l, err := sl.acquire(ctx)
	if err != nil {
		return wireError(cmd, err)
	}
	defer sl.release(l)
	l.begin(ctx)
	t.count.Add(1)
	err = fn(l.client)
	wrote := l.wrote
	l.end()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, memcache.ErrCacheMiss):
		return errMiss
	case errors.Is(err, memcache.ErrNotStored):
		return errNotStored
	case errors.Is(err, memcache.ErrCASConflict):
		return errConflict
	case isTooLargeAnswer(err):
		return t.refused(ctx, srv, key)
	}
	err = wireError(cmd, callError(ctx, err))
	if wrote && !errors.Is(err, ErrServer) { // an error answer is not unsure
		return &unsureError{err}
	}
	return err
}

// refused handles a server that rejected an item as too large although its
// learned limit allowed it (it was restarted with another -I): the limit is
// learned again, and the error names the new one when the server tells.
func (t *trips) refused(ctx context.Context, srv *server, key string) error {
	t.pool.limits.forget(srv)
	limit, asked, _ := t.pool.limits.maxItem(ctx, srv)
	if asked {
		t.count.Add(1)
	}
	if limit <= 0 {
		return &itemTooLargeError{}
	}
	return &itemTooLargeError{maxValue: max(limit-len(key)-itemOverhead, 0)}
}
