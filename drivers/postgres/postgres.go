package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
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
	pool      *pgxpool.Pool
	closePool bool
	layout    sqlstore.Layout
	st        *statements
	planner   driver.Planner
	clock     func() time.Time
	sweepCfg  sqlstore.SweepConfig
	sweeper   *sqlstore.Sweeper
	closed    atomic.Bool
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
		pool:      cfg.Pool,
		closePool: cfg.Pool == nil || cfg.ClosePool,
		layout:    set.layout,
		st:        newStatements(set.layout),
		planner:   driver.Planner{Naming: driver.Naming{HashSubject: cfg.HashSubject}, MaxValueSize: set.maxValueSize},
		clock:     set.clock,
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
	s.sweepCfg = set.sweep
	s.sweepCfg.Sweep = s.sweepBatch
	if set.sweepOff {
		s.sweeper = sqlstore.StartSweeper(sqlstore.SweepConfig{}) // a no-op
	} else {
		s.sweeper = sqlstore.StartSweeper(s.sweepCfg)
	}
	return s, nil
}

// Close stops the sweeper (a batch in flight is cancelled) and closes the
// Storage's pool, waiting for the calls in flight to give their
// connections back; an application's pool (Config.Pool) stays open unless
// Config.ClosePool. Later calls return an error matching
// session.ErrClosed. Close is idempotent.
func (s *Storage) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.sweeper.Stop()
	if s.closePool {
		s.pool.Close()
	}
	return nil
}

// Endpoint implements driver.EndpointReporter.
func (s *Storage) Endpoint() driver.Endpoint { return s.endpoint }

// Mode returns the tables the Storage uses.
func (s *Storage) Mode() Mode { return s.layout.Mode }

// enter fails once the Storage is closed.
func (s *Storage) enter(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("postgres: %s: %w", op, session.ErrClosed)
	}
	return nil
}

// maxAttempts bounds the tries of one statement: a second try only when
// the first provably did nothing (see retryable).
const maxAttempts = 2

// again reports whether a statement that failed with err on try number
// try (from 1) runs once more: when the try provably changed nothing (pgx
// had sent nothing, as with a connection found dead, or the server rolled
// the statement back as a deadlock or serialization victim) and the caller
// still waits.
func again(ctx context.Context, err error, try int) bool {
	return try < maxAttempts && retryable(err) && ctx.Err() == nil
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
		return &timeoutError{err: err}
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
			return s.callError(ctx, op, err)
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

// callError wraps a failed call's error: with the caller's ctx.Err() when
// the context ended (pgx does not always wrap it), with session.ErrClosed
// when Close ran meanwhile. pgx's and the server's messages never quote
// parameters, so no session key or value reaches the text.
func (s *Storage) callError(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("postgres: %s: %w: %w", op, cerr, err)
	}
	if s.closed.Load() {
		return fmt.Errorf("postgres: %s: %w: %w", op, session.ErrClosed, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// timeoutError is a statement the server cancelled after ReadTimeout.
type timeoutError struct {
	err error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("statement timed out (ReadTimeout): %v", e.err)
}

// Unwrap makes errors.Is see ErrTimeout and context.DeadlineExceeded (pgx
// reports the server's cancellation, not the deadline behind it) besides
// pgx's error.
func (e *timeoutError) Unwrap() []error {
	return []error{ErrTimeout, context.DeadlineExceeded, e.err}
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
			return 0, s.callError(ctx, op, err)
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
