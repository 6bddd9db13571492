package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/session"
	sdriver "github.com/sessionstore/sessionstore/session/driver"
)

// Storage is a session.Storage backed by MySQL or MariaDB. It is safe for
// concurrent use. Create it with New and Close it when done.
type Storage struct {
	core      sqlstore.Core // planning, checks, errors and the sweeper, shared with drivers/postgres
	db        *sql.DB
	st        *statements
	endpoint  sdriver.Endpoint
	ids       *threadIDs
	kills     killers
	maxPacket atomic.Int64 // the server's max_allowed_packet, once learned (packet.go)
}

var (
	_ session.Storage          = (*Storage)(nil)
	_ sdriver.EndpointReporter = (*Storage)(nil)
)

// New validates cfg and returns a Storage. It does not connect and does
// not create tables (see CreateSchema): connections are made on first use,
// each within ConnectTimeout, so New neither blocks nor fails because the
// server is down. An invalid cfg is an error matching ErrConfig.
func New(cfg Config) (*Storage, error) {
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	base, err := gomysql.NewConnector(set.conn.my)
	if err != nil {
		return nil, configError("%v", err)
	}
	s := &Storage{
		core: sqlstore.Core{
			Prefix:  "mysql",
			Layout:  set.layout,
			Columns: columnsOf(set.layout.Mode),
			Planner: sdriver.Planner{Naming: sdriver.Naming{HashSubject: cfg.HashSubject}, MaxValueSize: set.MaxValueSize},
			Clock:   set.Clock,
			Bind:    binderOf(set.layout.Mode),
		},
		st:  newStatements(set.layout),
		ids: &threadIDs{},
	}
	s.db = sql.OpenDB(&connector{base: base, ids: s.ids})
	s.db.SetMaxOpenConns(set.conn.poolSize)
	s.db.SetMaxIdleConns(set.conn.poolSize)
	s.db.SetConnMaxIdleTime(set.conn.keepalive)
	host, port := endpointOf(set.conn.my)
	s.endpoint = sdriver.Endpoint{System: "mysql", Address: host, Port: port}
	s.core.StartSweeper(set.Settings, s.sweepBatch)
	return s, nil
}

// binderOf passes names and keys as bytes for OwnTables' VARBINARY columns
// (a _binary literal: any bytes, compared byte for byte) and as strings
// for LuaTables' ascii ones (checked to be ASCII already); times in Unix
// seconds, as they are for OwnTables' BIGINT, clamped to what
// FROM_UNIXTIME takes for LuaTables' DATETIME (see luaTime); index pairs
// element by element (the default).
func binderOf(m Mode) sqlstore.Binder {
	if m == LuaTables {
		return sqlstore.Binder{
			Now: func(t time.Time) any { return luaTime(t.Unix()) },
			Exp: func(sec int64) any { return luaTime(sec) },
		}
	}
	return sqlstore.Binder{
		Key: func(k string) any { return []byte(k) },
		Now: func(t time.Time) any { return t.Unix() },
	}
}

// Close stops the sweeper (a batch in flight is cancelled), waits for the
// KILL QUERY statements in flight, and closes the pool, after the calls in
// flight gave their connections back. Later calls return an error matching
// session.ErrClosed. Close is idempotent.
func (s *Storage) Close() error {
	if !s.core.Close() {
		return nil
	}
	s.kills.stop()
	return s.db.Close()
}

// Endpoint implements driver.EndpointReporter.
func (s *Storage) Endpoint() sdriver.Endpoint { return s.endpoint }

// Mode returns the tables the Storage uses.
func (s *Storage) Mode() Mode { return s.core.Layout.Mode }

// exec runs a query that returns no rows (one statement, or a transaction
// of several) and reports the rows its last statement affected. It runs
// once more when the first try provably did nothing (again).
func (s *Storage) exec(ctx context.Context, op string, q query, args []any) (int64, error) {
	for try := 1; ; try++ {
		n, err := s.execOnce(ctx, q, args)
		if err == nil {
			return n, nil
		}
		if !again(ctx, err, try) {
			return 0, s.core.CallError(ctx, op, classify(ctx, err))
		}
	}
}

// rollbackTimeout bounds the ROLLBACK after a refused statement.
const rollbackTimeout = 2 * time.Second

// execOnce runs q on a connection of its own (waiting for one as long as
// ctx allows). When ctx ends meanwhile, go-sql-driver closes the
// connection and the driver has the server stop the statement (watch).
// When the server refuses a statement of a transaction it runs none of
// the rest: the transaction is rolled back on the same connection before
// the connection goes back to the pool, or the connection is dropped.
func (s *Storage) execOnce(ctx context.Context, q query, args []any) (int64, error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	var (
		stop func() bool
		id   uint32
	)
	if ctx.Done() != nil {
		stop, id = s.watch(ctx, c)
	}
	res, err := c.ExecContext(ctx, q.SQL, args...)
	discard := false
	if stop != nil {
		switch {
		case !stop():
			discard = true // the KILL QUERY has started: never reuse this connection
		case err != nil && ctx.Err() != nil:
			// The context ended, and go-sql-driver saw it first: a
			// context closes Done before it starts its AfterFuncs, so
			// stop can still win. Kill from here.
			discard = true
			if s.kills.begin() {
				go func() {
					defer s.kills.end()
					s.killQuery(id)
				}()
			}
		}
	}
	if err != nil && q.txn && !discard && serverNumber(err) != 0 {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		if _, rerr := c.ExecContext(rctx, "ROLLBACK"); rerr != nil {
			discard = true
		}
		cancel()
	}
	if discard {
		_ = c.Raw(func(any) error { return driver.ErrBadConn }) // database/sql closes it
	}
	_ = c.Close()
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// watch arranges for the statement about to run on c to be stopped on the
// server (KILL QUERY) if ctx ends before it is done. The returned stop
// reports false once the kill has started; it is nil when the thread id
// of c is unknown.
func (s *Storage) watch(ctx context.Context, c *sql.Conn) (stop func() bool, id uint32) {
	_ = c.Raw(func(dc any) error {
		id = s.ids.of(dc)
		return nil
	})
	if id == 0 {
		return nil, 0
	}
	return context.AfterFunc(ctx, func() {
		if s.kills.begin() {
			defer s.kills.end()
			s.killQuery(id)
		}
	}), id
}

// killTimeout bounds one KILL QUERY.
const killTimeout = 2 * time.Second

// killQuery has the server stop what thread id is running, from another
// connection of the pool (a user may always kill its own threads). Best
// effort: a thread already gone ("Unknown thread id") is fine.
func (s *Storage) killQuery(id uint32) {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	_, _ = s.db.ExecContext(ctx, "KILL QUERY "+strconv.FormatUint(uint64(id), 10))
}

// killers tracks the KILL QUERY statements in flight, so that Close waits
// for them and none starts after it.
type killers struct {
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

func (k *killers) begin() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return false
	}
	k.wg.Add(1)
	return true
}

func (k *killers) end() { k.wg.Done() }

func (k *killers) stop() {
	k.mu.Lock()
	k.stopped = true
	k.mu.Unlock()
	k.wg.Wait()
}
