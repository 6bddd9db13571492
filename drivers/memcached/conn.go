package memcached

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// lane is one gomemcache client with at most one connection, used by one
// call at a time (see pool).
type lane struct {
	pool   *pool
	client *memcache.Client

	// Set by the lane's holder before each call and read by its conn in the
	// same goroutine.
	ctx      context.Context
	deadline time.Time
	last     *conn       // the connection dialed last; gomemcache may have dropped it
	stop     func() bool // stops the interrupt watcher of the call, if any
	// wrote is set once the call wrote request bytes: from then on a failed
	// request may still have been applied by the server.
	wrote bool

	mu          sync.Mutex // guards the fields below and cur.Conn
	call        uint64     // increments with each call
	interrupted bool
	cur         *conn // the connection of the call in flight
}

// begin prepares the lane for a call under ctx; end ends it. A cancelled
// ctx interrupts the request in flight. A ctx that can never be cancelled
// (Done() == nil, as context.Background) needs no watcher, which saves
// context.AfterFunc's allocations on every call.
func (l *lane) begin(ctx context.Context) {
	l.ctx = ctx
	l.deadline, _ = ctx.Deadline()
	l.wrote = false
	if c := l.last; c != nil && time.Since(c.lastUsed) > l.pool.set.KeepaliveTimeout {
		// This is a request boundary: the conn re-dials when gomemcache
		// starts the request on it (see conn).
		c.stale = true
	}
	l.mu.Lock()
	l.call++
	call := l.call
	l.interrupted = false
	l.mu.Unlock()
	if ctx.Done() != nil {
		l.stop = context.AfterFunc(ctx, func() { l.interrupt(call) })
	}
}

// end ends the call begun by begin.
func (l *lane) end() {
	if l.stop != nil {
		l.stop()
		l.stop = nil
	}
	l.mu.Lock()
	l.call++ // a late interrupt of this call is now a no-op
	l.cur = nil
	l.mu.Unlock()
	l.ctx = nil
}

// aLongTimeAgo is a deadline that fails every pending read and write.
var aLongTimeAgo = time.Unix(1, 0)

func (l *lane) interrupt(call uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.call != call {
		return
	}
	l.interrupted = true
	if l.cur != nil {
		_ = l.cur.Conn.SetDeadline(aLongTimeAgo)
	}
}

// dial connects to the lane's server within ConnectTimeout and the caller's
// context (TLS handshake included) and wraps the connection.
func (l *lane) dial(ctx context.Context, network, address string) (net.Conn, error) {
	if l.ctx != nil {
		// gomemcache's ctx carries only its own timeout; the caller's
		// ctx bounds the dial too.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(l.ctx, cancel)()
	}
	nc, err := l.pool.dialRaw(ctx, network, address)
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, lane: l, network: network, address: address, lastUsed: time.Now()}
	l.last = c
	return c, nil
}

// conn wraps a connection for gomemcache. gomemcache calls SetDeadline at
// the start of every request (and again before each item of a get
// response); conn turns that into a write deadline of SendTimeout and a read
// deadline of ReadTimeout, both capped by the caller's deadline. A
// connection that sat idle longer than KeepaliveTimeout is marked stale by
// its lane when a call begins, and the first SetDeadline of that call
// replaces it with a fresh one: safe there because a request boundary
// leaves gomemcache's buffers empty. A failed re-dial is reported by the
// next Write, which makes gomemcache drop the connection.
type conn struct {
	net.Conn
	lane             *lane
	network, address string
	lastUsed         time.Time
	stale            bool
	err              error
}

func (c *conn) SetDeadline(time.Time) error {
	l := c.lane
	set := l.pool.set
	now := time.Now()
	c.err = nil
	if c.stale {
		c.stale = false
		ctx := l.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		nc, err := l.pool.dialRaw(ctx, c.network, c.address)
		l.mu.Lock()
		_ = c.Conn.Close()
		if err == nil {
			c.Conn = nc
		}
		l.mu.Unlock()
		if err != nil {
			c.err = fmt.Errorf("memcached: reconnect after idle: %w", err)
			return c.err
		}
	}
	c.lastUsed = now
	wd, rd := now.Add(set.SendTimeout), now.Add(set.ReadTimeout)
	if !l.deadline.IsZero() {
		wd, rd = minTime(wd, l.deadline), minTime(rd, l.deadline)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur = c
	if l.interrupted {
		wd, rd = aLongTimeAgo, aLongTimeAgo
	}
	if err := c.Conn.SetWriteDeadline(wd); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(rd)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (c *conn) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.lastUsed = time.Now()
	c.lane.wrote = true
	return c.Conn.Write(b)
}

func (c *conn) Read(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.Conn.Read(b)
	c.lastUsed = time.Now()
	return n, err
}
