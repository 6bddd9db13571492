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
// and deadlines capped by the caller's context (conn.go); and per server a
// fixed set of PoolSize lanes with a bounded queue of callers waiting for
// one. It also keeps what it learned of each server's item size limit.
//
// A lane is a gomemcache client bound to one server that holds at most one
// connection and is used by one call at a time. Owning the connection is
// what lets a call give it the caller's deadline and interrupt it when the
// caller's context is cancelled, which gomemcache's own shared pool cannot.
type pool struct {
	set      *settings
	refs     int // guarded by registryMu
	selector *ketama
	slots    map[*server]*slots // read-only after newPool
	limits   itemLimits
}

var (
	registryMu sync.Mutex
	registry   = map[string]*pool{}
)

// acquirePool returns the pool for s: the shared one of that name, or a new
// one. Release it with releasePool.
func acquirePool(s *settings) (*pool, error) {
	if s.Pool == "" {
		return newPool(s), nil
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if p, ok := registry[s.Pool]; ok {
		if !s.sharesPoolWith(p.set) {
			return nil, configError("Pool %q is already in use with a different configuration", s.Pool)
		}
		p.refs++
		return p, nil
	}
	p := newPool(s)
	p.refs = 1
	registry[s.Pool] = p
	return p, nil
}

// releasePool drops one reference and closes the pool's connections with
// the last one. The caller has no call in flight.
func releasePool(p *pool) error {
	if p.set.Pool != "" {
		registryMu.Lock()
		p.refs--
		last := p.refs == 0
		if last {
			delete(registry, p.set.Pool)
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
	p := &pool{set: s, selector: newKetama(s.servers), slots: map[*server]*slots{}}
	p.limits.learn = p.learnItemSizeMax
	for _, srv := range s.servers {
		sl := &slots{backlog: s.Backlog}
		for range s.PoolSize {
			l := &lane{pool: p}
			c := memcache.NewFromSelector(fixedServer{srv})
			c.DialContext = l.dial
			c.MaxIdleConns = 1
			// gomemcache uses Timeout for the context it dials with and for
			// the deadline it sets per request; conn replaces the latter with
			// SendTimeout/ReadTimeout, and dial applies ConnectTimeout.
			c.Timeout = max(s.ConnectTimeout, s.SendTimeout, s.ReadTimeout)
			l.client = c
			sl.all = append(sl.all, l)
			sl.free = append(sl.free, l)
		}
		p.slots[srv] = sl
	}
	return p
}

// fixedServer is the selector of a lane: always its one server.
type fixedServer struct{ srv *server }

func (f fixedServer) PickServer(string) (net.Addr, error) { return f.srv, nil }
func (f fixedServer) Each(fn func(net.Addr) error) error  { return fn(f.srv) }

// dialRaw connects to a server within ConnectTimeout and ctx, TLS handshake
// included. Lanes wrap what it returns; learning a server's settings uses
// it directly.
func (p *pool) dialRaw(ctx context.Context, network, address string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.set.ConnectTimeout)
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
		return nil, fmt.Errorf("waiting for a connection: %w", ctx.Err())
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
