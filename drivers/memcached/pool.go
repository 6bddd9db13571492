package memcached

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// ErrPoolExhausted reports a call that found PoolSize connections busy and
// Backlog callers already waiting for one.
var ErrPoolExhausted = errors.New("memcached: connection pool exhausted")

// pool is the connections to a set of servers, with the mechanisms
// gomemcache lacks built around it: a dialer with a connect timeout, TLS and
// unix sockets; conns with separate send and read timeouts, an idle limit
// and deadlines capped by the caller's context; and per server a fixed set
// of PoolSize lanes with a bounded queue of callers waiting for one.
//
// A lane is a gomemcache client bound to one server that holds at most one
// connection and is used by one call at a time. Owning the connection is
// what lets a call give it the caller's deadline and interrupt it when the
// caller's context is cancelled, which gomemcache's own shared pool cannot.
type pool struct {
	name     string
	key      poolKey
	refs     int // guarded by registryMu
	selector *ketama
	slots    map[string]*slots // by server address; read-only after newPool
	set      *settings
}

var (
	registryMu sync.Mutex
	registry   = map[string]*pool{}
)

// acquirePool returns the pool for s: the shared one of that name, or a new
// one. Release it with releasePool.
func acquirePool(s *settings) (*pool, error) {
	if s.pool == "" {
		return newPool(s), nil
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if p, ok := registry[s.pool]; ok {
		if p.key != s.poolKey() {
			return nil, configError("Pool %q is already in use with a different configuration", s.pool)
		}
		p.refs++
		return p, nil
	}
	p := newPool(s)
	p.refs = 1
	registry[s.pool] = p
	return p, nil
}

// releasePool drops one reference and closes the pool's connections with
// the last one. The caller has no call in flight.
func releasePool(p *pool) error {
	if p.name != "" {
		registryMu.Lock()
		p.refs--
		last := p.refs == 0
		if last {
			delete(registry, p.name)
		}
		registryMu.Unlock()
		if !last {
			return nil
		}
	}
	var errs []error
	for _, sl := range p.slots {
		for _, l := range sl.all {
			if err := l.client.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("memcached: close: %w", err)
	}
	return nil
}

func newPool(s *settings) *pool {
	p := &pool{name: s.pool, key: s.poolKey(), selector: newKetama(s.servers), slots: map[string]*slots{}, set: s}
	for _, srv := range s.servers {
		sl := &slots{backlog: s.backlog}
		for range s.poolSize {
			l := &lane{pool: p}
			c := memcache.NewFromSelector(fixedServer{srv})
			c.DialContext = l.dial
			c.MaxIdleConns = 1
			// gomemcache uses Timeout for the context it dials with and for
			// the deadline it sets per request; conn replaces the latter with
			// SendTimeout/ReadTimeout, and dial applies ConnectTimeout.
			c.Timeout = max(s.connectTimeout, s.sendTimeout, s.readTimeout)
			l.client = c
			sl.all = append(sl.all, l)
			sl.free = append(sl.free, l)
		}
		p.slots[srv.address] = sl
	}
	return p
}

// fixedServer is the selector of a lane: always its one server.
type fixedServer struct{ srv *server }

func (f fixedServer) PickServer(string) (net.Addr, error) { return f.srv, nil }
func (f fixedServer) Each(fn func(net.Addr) error) error  { return fn(f.srv) }

func (p *pool) dialRaw(ctx context.Context, network, address string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.set.connectTimeout)
	defer cancel()
	d := &net.Dialer{KeepAlive: 30 * time.Second}
	if p.set.tls == nil {
		return d.DialContext(ctx, network, address)
	}
	cfg := p.set.tls.Clone()
	if cfg.ServerName == "" && network == "tcp" {
		if host, _, err := net.SplitHostPort(address); err == nil {
			cfg.ServerName = host
		}
	}
	td := &tls.Dialer{NetDialer: d, Config: cfg}
	return td.DialContext(ctx, network, address)
}

// slots hands out a server's lanes, most recently used first (so that few
// connections stay warm), with a bounded FIFO queue of waiters.
type slots struct {
	mu      sync.Mutex
	free    []*lane // a stack
	waiters []chan *lane
	backlog int
	all     []*lane
}

func (s *slots) acquire(ctx context.Context) (*lane, error) {
	s.mu.Lock()
	if n := len(s.free); n > 0 {
		l := s.free[n-1]
		s.free = s.free[:n-1]
		s.mu.Unlock()
		return l, nil
	}
	if len(s.waiters) >= s.backlog {
		s.mu.Unlock()
		return nil, ErrPoolExhausted
	}
	ch := make(chan *lane, 1)
	s.waiters = append(s.waiters, ch)
	s.mu.Unlock()
	select {
	case l := <-ch:
		return l, nil
	case <-ctx.Done():
		s.mu.Lock()
		i := slices.Index(s.waiters, ch)
		if i >= 0 {
			s.waiters = slices.Delete(s.waiters, i, i+1)
		}
		s.mu.Unlock()
		if i < 0 {
			// A lane was handed over meanwhile: pass it on.
			s.release(<-ch)
		}
		return nil, fmt.Errorf("memcached: waiting for a connection: %w", ctx.Err())
	}
}

func (s *slots) release(l *lane) {
	s.mu.Lock()
	if len(s.waiters) > 0 {
		ch := s.waiters[0]
		s.waiters = slices.Delete(s.waiters, 0, 1)
		s.mu.Unlock()
		ch <- l // buffered: never blocks
		return
	}
	s.free = append(s.free, l)
	s.mu.Unlock()
}

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
	if c := l.last; c != nil && time.Since(c.lastUsed) > l.pool.set.keepaliveTimeout {
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
	wd, rd := now.Add(set.sendTimeout), now.Add(set.readTimeout)
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
