package mysql

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// Every connection's thread id, for KILL QUERY.
//
// When a caller's context ends during a statement, go-sql-driver closes the
// connection, but the server goes on with the statement: one waiting for a
// row lock would still run, and commit, once the lock is free, after its
// caller was told it failed. The driver then has the server stop it with
// KILL QUERY <thread id> on another connection (PostgreSQL's cancel
// request does the same for the PostgreSQL driver). go-sql-driver keeps
// the thread id to itself; the server announces it in its first packet, so
// the dialer's connection reads it from there (no round trip), and the
// connector files it under the driver connection it belongs to.

// threadIDs maps go-sql-driver's connections to their server thread ids.
type threadIDs struct {
	m sync.Map // driver.Conn → uint32
}

func (t *threadIDs) of(dc any) uint32 {
	if v, ok := t.m.Load(dc); ok {
		return v.(uint32)
	}
	return 0
}

// connector wraps go-sql-driver's: each new connection's thread id, read
// by its idConn during the handshake, is filed under it until it closes.
type connector struct {
	base driver.Connector
	ids  *threadIDs
}

// dialSlot carries the idConn a dial made back to the Connect that
// started it (the dialer runs inside go-sql-driver's Connect, with a
// context derived from Connect's).
type dialSlot struct{ conn *idConn }

type dialSlotKey struct{}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	slot := &dialSlot{}
	dc, err := c.base.Connect(context.WithValue(ctx, dialSlotKey{}, slot))
	if err != nil {
		return nil, err
	}
	if slot.conn != nil {
		if id := slot.conn.threadID(); id != 0 {
			c.ids.m.Store(dc, id)
			slot.conn.onClose(func() { c.ids.m.Delete(dc) })
		}
	}
	return dc, nil
}

func (c *connector) Driver() driver.Driver { return c.base.Driver() }

// dialFunc wraps dial so that each connection it makes reads its thread id
// from the server's greeting.
func dialFunc(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := &idConn{Conn: nc}
		if slot, ok := ctx.Value(dialSlotKey{}).(*dialSlot); ok {
			slot.conn = c
		}
		if sc, ok := nc.(syscall.Conn); ok {
			return &idSysConn{idConn: c, sc: sc}, nil
		}
		return c, nil
	}
}

// maxGreeting bounds what idConn keeps of the greeting: header, protocol
// version, server version (a few dozen bytes), thread id.
const maxGreeting = 512

// idConn is a connection that reads the thread id from the server's first
// packet (protocol 10: header, 0x0a, server version NUL-terminated, then
// the id, 4 bytes little-endian) as go-sql-driver reads it, and runs a
// function when it closes.
type idConn struct {
	net.Conn

	parsed atomic.Bool // the greeting is parsed, or not parseable: Read passes through

	mu       sync.Mutex
	greeting []byte // the first bytes read, until the id is known
	id       uint32
	done     bool // as parsed, under mu
	closed   bool
	closers  []func()
}

func (c *idConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.parsed.Load() {
		c.mu.Lock()
		if !c.done {
			c.greeting = append(c.greeting, p[:n]...)
			c.parse()
			c.parsed.Store(c.done)
		}
		c.mu.Unlock()
	}
	return n, err
}

// parse reads the id once enough of the greeting is there.
func (c *idConn) parse() {
	g := c.greeting
	if len(g) > maxGreeting || (len(g) >= 5 && g[4] != 10) {
		c.done, c.greeting = true, nil // not a protocol 10 greeting: no id
		return
	}
	if len(g) < 5 {
		return
	}
	for i := 5; i < len(g); i++ {
		if g[i] == 0 {
			if len(g) >= i+5 {
				c.id = binary.LittleEndian.Uint32(g[i+1:])
				c.done, c.greeting = true, nil
			}
			return
		}
	}
}

func (c *idConn) threadID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// onClose runs f when the connection closes, at once if it has.
func (c *idConn) onClose(f func()) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		f()
		return
	}
	c.closers = append(c.closers, f)
	c.mu.Unlock()
}

func (c *idConn) Close() error {
	c.mu.Lock()
	closers := c.closers
	c.closers, c.closed = nil, true
	c.mu.Unlock()
	for _, f := range closers {
		f()
	}
	return c.Conn.Close()
}

// idSysConn is an idConn over a connection with a file descriptor, passed
// through so that go-sql-driver's check of an idle connection (a
// non-blocking read on it) keeps working. (A connection without one, from
// a Config.DialContext, goes unchecked, as it would without this wrapper.)
type idSysConn struct {
	*idConn
	sc syscall.Conn
}

func (c *idSysConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }
