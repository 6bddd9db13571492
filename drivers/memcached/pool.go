package memcached

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// ErrPoolExhausted reports a call that found PoolSize connections busy and
// Backlog callers already waiting for one.
var ErrPoolExhausted = errors.New("memcached: connection pool exhausted")

// pool is one gomemcache client with the mechanisms gomemcache lacks built
// around it: a dialer with a connect timeout, TLS and unix sockets; conns
// with separate send and read timeouts and an idle limit; and a per-server
// semaphore that caps open connections and queues a bounded backlog.
type pool struct {
	name     string
	key      poolKey
	refs     int // guarded by registryMu
	client   *memcache.Client
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
// the last one.
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
	if err := p.client.Close(); err != nil {
		return fmt.Errorf("memcached: close: %w", err)
	}
	return nil
}

func newPool(s *settings) *pool {
	p := &pool{name: s.pool, key: s.poolKey(), selector: newKetama(s.servers), slots: map[string]*slots{}, set: s}
	for _, srv := range s.servers {
		p.slots[srv.address] = &slots{ch: make(chan struct{}, s.poolSize), backlog: int64(s.backlog)}
	}
	c := memcache.NewFromSelector(p.selector)
	c.DialContext = p.dial
	c.MaxIdleConns = s.poolSize
	// gomemcache uses Timeout for the context it dials with and for the
	// deadline it sets per request; the wrapped conn replaces the latter
	// with SendTimeout/ReadTimeout, and dial applies ConnectTimeout itself.
	c.Timeout = max(s.connectTimeout, s.sendTimeout, s.readTimeout)
	p.client = c
	return p
}

// dial connects to one server within ConnectTimeout (TLS handshake
// included) and wraps the connection.
func (p *pool) dial(ctx context.Context, network, address string) (net.Conn, error) {
	nc, err := p.dialRaw(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: nc, pool: p, network: network, address: address, lastUsed: time.Now()}, nil
}

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

// slots is a counting semaphore with a bounded queue of waiters.
type slots struct {
	ch      chan struct{}
	waiting atomic.Int64
	backlog int64
}

func (s *slots) acquire(ctx context.Context) error {
	select {
	case s.ch <- struct{}{}:
		return nil
	default:
	}
	if s.waiting.Add(1) > s.backlog {
		s.waiting.Add(-1)
		return ErrPoolExhausted
	}
	defer s.waiting.Add(-1)
	select {
	case s.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("memcached: waiting for a connection: %w", ctx.Err())
	}
}

func (s *slots) release() { <-s.ch }

// conn wraps a connection for gomemcache. gomemcache calls SetDeadline once
// at the start of every request (and on a fresh connection); conn turns that
// into a write deadline of SendTimeout and a read deadline of ReadTimeout,
// and, if the connection has been idle longer than KeepaliveTimeout,
// replaces it first with a fresh one. That is safe at this point because a
// request boundary leaves gomemcache's buffers empty. A failed re-dial is
// reported by the next Write, which makes gomemcache drop the connection.
type conn struct {
	net.Conn
	pool             *pool
	network, address string
	lastUsed         time.Time
	err              error
}

func (c *conn) SetDeadline(time.Time) error {
	now := time.Now()
	c.err = nil
	if now.Sub(c.lastUsed) > c.pool.set.keepaliveTimeout {
		_ = c.Conn.Close()
		nc, err := c.pool.dialRaw(context.Background(), c.network, c.address)
		if err != nil {
			c.err = fmt.Errorf("memcached: reconnect after idle: %w", err)
			return c.err
		}
		c.Conn = nc
	}
	c.lastUsed = now
	if err := c.Conn.SetWriteDeadline(now.Add(c.pool.set.sendTimeout)); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(now.Add(c.pool.set.readTimeout))
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
