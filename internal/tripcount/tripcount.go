// Package tripcount counts the round trips of network connections: the
// SQL drivers' tests assert that each operation is one, and the
// benchmarks report them per operation. A read that follows a write is
// the answer to one round trip, however many packets either took.
package tripcount

import (
	"context"
	"net"
	"sync/atomic"
)

// Conn is a connection that adds one to its counter at the first read
// after a write.
type Conn struct {
	net.Conn
	trips *atomic.Int64
	wrote atomic.Bool
}

// Wrap counts c's round trips in trips.
func Wrap(c net.Conn, trips *atomic.Int64) *Conn { return &Conn{Conn: c, trips: trips} }

func (c *Conn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}

func (c *Conn) Read(p []byte) (int, error) {
	if c.wrote.Swap(false) {
		c.trips.Add(1)
	}
	return c.Conn.Read(p)
}

// Dial returns a dial function (the shape of pgx's DialFunc and
// go-sql-driver's DialContext) that counts the round trips of every
// connection it makes in trips.
func Dial(trips *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return Wrap(c, trips), nil
	}
}
