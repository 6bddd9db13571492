package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// ErrTimeout reports a statement the server cancelled after ReadTimeout
// (its statement_timeout) while the caller's context was still live.
var ErrTimeout = errors.New("postgres: statement timed out")

// Storage is a session.Storage backed by PostgreSQL. It is safe for
// concurrent use. Create it with New and Close it when done.
type Storage struct {
	core      sqlstore.Core // planning, checks, errors and the sweeper, shared with drivers/mysql
	pool      *pgxpool.Pool
	closePool bool
	st        *statements
	endpoint  driver.Endpoint
}

var (
	_ session.Storage         = (*Storage)(nil)
	_ driver.EndpointReporter = (*Storage)(nil)
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
	s := &Storage{
		core: sqlstore.Core{
			Prefix:  "postgres",
			Layout:  set.layout,
			Columns: columnsOf(set.layout.Mode),
			Planner: driver.Planner{Naming: driver.Naming{HashSubject: cfg.HashSubject}, MaxValueSize: set.MaxValueSize},
			Clock:   set.Clock,
			Bind:    binder,
		},
		pool:      cfg.Pool,
		closePool: cfg.Pool == nil || cfg.ClosePool,
		st:        newStatements(set.layout),
	}
	pc := set.poolConfig
	if s.pool == nil {
		if s.pool, err = pgxpool.NewWithConfig(context.Background(), pc); err != nil {
			return nil, configError("%v", err)
		}
	} else {
		pc = s.pool.Config()
	}
	host, port := endpointOf(pc)
	s.endpoint = driver.Endpoint{System: "postgresql", Address: host, Port: port}
	s.core.StartSweeper(set.Settings, s.sweepBatch)
	return s, nil
}

// binder passes names and keys as text, times as timestamps clamped to
// PostgreSQL's range, and index pairs as two text arrays.
var binder = sqlstore.Binder{
	Now:   func(t time.Time) any { return pgTime(t) },
	Exp:   func(sec int64) any { return unixTime(sec) },
	Pairs: func(auds, subs []string) (any, any) { return auds, subs },
}

// Close stops the sweeper (a batch in flight is cancelled) and closes the
// Storage's pool, waiting for the calls in flight to give their
// connections back; an application's pool (Config.Pool) stays open unless
// Config.ClosePool. Later calls return an error matching
// session.ErrClosed. Close is idempotent.
func (s *Storage) Close() error {
	if s.core.Close() && s.closePool {
		s.pool.Close()
	}
	return nil
}

// Endpoint implements driver.EndpointReporter.
func (s *Storage) Endpoint() driver.Endpoint { return s.endpoint }

// Mode returns the tables the Storage uses.
func (s *Storage) Mode() Mode { return s.core.Layout.Mode }

// again reports whether a statement that failed with err on try number
// try (from 1) runs once more: when the try provably changed nothing (pgx
// had sent nothing, as with a connection found dead, or the server rolled
// the statement back as a deadlock or serialization victim) and the caller
// still waits.
func again(ctx context.Context, err error, try int) bool {
	return sqlstore.Again(ctx, err, try, retryable)
}

// begin acquires a connection, waiting as long as the caller's context
// allows. The statement itself is bounded by the caller's context and by
// the connection's timeouts (see Config.ReadTimeout), not by a timer of
// its own: that would cost pgx a context watch on every call.
func (s *Storage) begin(ctx context.Context) (*pgxpool.Conn, error) {
	return s.pool.Acquire(ctx)
}

// end gives the connection back and marks a statement the server
// cancelled on its own (statement_timeout, the caller's context still
// live) as a timeout.
func (s *Storage) end(ctx context.Context, c *pgxpool.Conn, err error) error {
	c.Release()
	var pe *pgconn.PgError
	if err != nil && ctx.Err() == nil && errors.As(err, &pe) && pe.Code == "57014" { // query_canceled
		return &sqlstore.TimeoutError{Timeout: ErrTimeout, Err: err}
	}
	return err
}

// run runs fn on a pooled connection (see begin), and once more when
// again says so. Each operation is one statement or one batch, so one
// transaction. The hot paths (Get, exec) spell the same loop out, which
// spares the closure's allocations.
func (s *Storage) run(ctx context.Context, op string, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	for try := 1; ; try++ {
		c, err := s.begin(ctx)
		if err == nil {
			err = s.end(ctx, c, fn(ctx, c))
		}
		if err == nil {
			return nil
		}
		if !again(ctx, err, try) {
			return s.core.CallError(ctx, op, err)
		}
	}
}

// retryable reports an error after which the statement can run again:
// nothing reached the server, or the server rolled it back whole.
func retryable(err error) bool {
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// exec runs a statement that returns no rows and reports the rows it
// affected.
func (s *Storage) exec(ctx context.Context, op string, st sqlstore.Stmt, v *sqlstore.Values) (int64, error) {
	args := st.Bind(v)
	for try := 1; ; try++ {
		c, err := s.begin(ctx)
		if err == nil {
			var tag pgconn.CommandTag
			tag, err = c.Exec(ctx, st.SQL, args...)
			if err = s.end(ctx, c, err); err == nil {
				return tag.RowsAffected(), nil
			}
		}
		if !again(ctx, err, try) {
			return 0, s.core.CallError(ctx, op, err)
		}
	}
}

// execAll runs statements that return no rows as one pipeline: pgx sends
// them in one batch ending in one Sync, so the server runs them in one
// implicit transaction (all or nothing) and answers in one round trip.
func (s *Storage) execAll(ctx context.Context, op string, sts []sqlstore.Stmt, v *sqlstore.Values) error {
	if len(sts) == 1 {
		_, err := s.exec(ctx, op, sts[0], v)
		return err
	}
	args := make([][]any, len(sts))
	for i, st := range sts {
		args[i] = st.Bind(v)
	}
	return s.run(ctx, op, func(ctx context.Context, c *pgxpool.Conn) error {
		var b pgx.Batch // a fresh one per try: pgx keeps state in a sent batch
		for i, st := range sts {
			b.Queue(st.SQL, args[i]...)
		}
		return c.SendBatch(ctx, &b).Close() // Close reads every result and returns the first error
	})
}

// errNoRows is pgx's "no rows", for Get's miss.
var errNoRows = pgx.ErrNoRows
