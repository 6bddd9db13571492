package postgres_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
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

// countingPool is a one-connection pool whose round trips are counted.
func countingPool(t *testing.T) (*pgxpool.Pool, *atomic.Int64) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(server(t))
	require.NoError(t, err)
	cfg.MaxConns = 1
	trips := new(atomic.Int64)
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tripConn{Conn: c, trips: trips}, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool, trips
}

// Every operation is one round trip once pgx has prepared its statements
// on the connection (lua-resty-session: one simple query per operation,
// too, its statements joined by ";").
func TestRoundTrips(t *testing.T) {
	for _, mode := range []postgres.Mode{postgres.OwnTables, postgres.LuaTables} {
		t.Run(mode.String(), func(t *testing.T) {
			pool, trips := countingPool(t)
			store := newStorage(t, postgres.Config{Pool: pool, Mode: mode, SweepInterval: -1})
			ctx := context.Background()
			now := time.Now()
			md := []session.Pair{{Audience: "a", Subject: "x"}, {Audience: "b", Subject: "y"}}
			old0 := sessionKey()
			require.NoError(t, store.Set(ctx, "session", old0, []byte("v"), time.Hour, now, session.SetOptions{}))
			// each op may use old, a session stored (unmeasured) before it
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
				{"Delete", func(old string) error { return store.Delete(ctx, "session", old, now, md) }},
				{"ReadMetadata", func(string) error { _, err := store.ReadMetadata(ctx, "session", "a", "x", now); return err }},
			}
			measure := func(run func(string) error) int64 {
				old := sessionKey()
				require.NoError(t, store.Set(ctx, "session", old, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md[:1]}))
				before := trips.Load()
				require.NoError(t, run(old))
				return trips.Load() - before
			}
			for _, op := range ops {
				measure(op.run) // warm up: pgx prepares a statement once per connection
			}
			for _, op := range ops {
				assert.Equal(t, int64(1), measure(op.run), op.name)
			}
		})
	}
}
