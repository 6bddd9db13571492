package mysql_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

// tripConn counts round trips: a read that follows a write is the answer
// to one.
type tripConn struct {
	net.Conn
	trips *atomic.Int64
	wrote atomic.Bool
}

func (c *tripConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}

func (c *tripConn) Read(p []byte) (int, error) {
	if c.wrote.Swap(false) {
		c.trips.Add(1)
	}
	return c.Conn.Read(p)
}

// countingDial dials the shared server and counts the round trips of every
// connection it makes.
func countingDial(trips *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tripConn{Conn: c, trips: trips}, nil
	}
}

// Every operation is one round trip, a rotation with its index rows
// included (lua-resty-session: one query per operation too, its statements
// joined by ";").
func TestRoundTrips(t *testing.T) {
	for _, mode := range []mysql.Mode{mysql.OwnTables, mysql.LuaTables} {
		t.Run(mode.String(), func(t *testing.T) {
			trips := new(atomic.Int64)
			store := newStorage(t, mysql.Config{
				Host: shared.Host, Port: shared.Port, Database: freshDatabase(t), Table: "sessions",
				Mode: mode, PoolSize: 1, SweepInterval: -1, DialContext: countingDial(trips),
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a context that can end: KILL QUERY is armed
			defer cancel()
			now := time.Now()
			md := []session.Pair{{Audience: "a", Subject: "x"}, {Audience: "b", Subject: "y"}}
			old0 := sessionKey()
			require.NoError(t, store.Set(ctx, "session", old0, []byte("v"), time.Hour, now, session.SetOptions{}))
			ops := []struct {
				name string
				run  func(old string) error
			}{
				{"Get", func(string) error { _, err := store.Get(ctx, "session", old0); return err }},
				{"Set", func(string) error {
					return store.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, now, session.SetOptions{})
				}},
				{"Set with 2 pairs", func(string) error {
					return store.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, now, session.SetOptions{Metadata: md})
				}},
				{"rotation with 1 pair", func(old string) error {
					return store.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, now, session.SetOptions{OldKey: old, Metadata: md[:1]})
				}},
				{"rotation with Remember", func(old string) error {
					return store.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, now, session.SetOptions{OldKey: old, Remember: true, Metadata: md[:1]})
				}},
				{"Set with 6 pairs (rendered per call)", func(string) error {
					return store.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, now, session.SetOptions{Metadata: append(append(md, md...), md...)})
				}},
				{"Delete", func(old string) error { return store.Delete(ctx, "session", old, now, md) }},
				{"ReadMetadata", func(string) error { _, err := store.ReadMetadata(ctx, "session", "a", "x", now); return err }},
			}
			for _, op := range ops {
				old := sessionKey()
				require.NoError(t, store.Set(ctx, "session", old, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md[:1]}))
				before := trips.Load()
				require.NoError(t, op.run(old), op.name)
				assert.Equal(t, int64(1), trips.Load()-before, op.name)
			}
		})
	}
}
