package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Core is the half of a SQL Storage that does not touch the server: the
// closed flag, the planning and column checks of every operation, the
// statement values they bind, the error wrapping and the sweeper. Both
// drivers keep one (never embedded: its methods are not their API) and
// run the statements themselves, each with its client. So an operation
// means the same on both servers up to the wire: the same arguments are
// refused with the same errors, and the same values are bound.
type Core struct {
	// Prefix starts every error ("postgres", "mysql").
	Prefix  string
	Layout  Layout
	Columns Columns
	Planner driver.Planner
	// Clock is Config.Clock: Get decides liveness by it.
	Clock func() time.Time
	// Bind converts values for the driver's client.
	Bind Binder

	sweep   SweepConfig
	sweeper *Sweeper
	closed  atomic.Bool
}

// Binder converts the values of an operation into statement parameters
// for a driver's client and columns. A nil hook passes the value as it is.
type Binder struct {
	// Key converts a name or a key (MySQL's VARBINARY columns take bytes).
	Key func(string) any
	// Now converts the caller's or the clock's now; Exp an expiry in Unix
	// seconds (clamped to what the column stores).
	Now func(time.Time) any
	Exp func(sec int64) any
	// Pairs converts a Set's encoded audiences and subjects into the two
	// list arguments (PostgreSQL: text arrays; MySQL: []any taken element
	// by element). Nil: []any.
	Pairs func(auds, subs []string) (any, any)
}

func (b Binder) key(k string) any {
	if b.Key == nil {
		return k
	}
	return b.Key(k)
}

func (b Binder) now(t time.Time) any {
	if b.Now == nil {
		return t
	}
	return b.Now(t)
}

func (b Binder) exp(sec int64) any {
	if b.Exp == nil {
		return sec
	}
	return b.Exp(sec)
}

// Enter fails once the Storage is closed.
func (c *Core) Enter(op string) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %s: %w", c.Prefix, op, session.ErrClosed)
	}
	return nil
}

// Close marks the Storage closed and stops its sweeper (a batch in flight
// is cancelled). It reports false when the Storage was closed already:
// the driver then closes nothing more.
func (c *Core) Close() bool {
	if !c.closed.CompareAndSwap(false, true) {
		return false
	}
	if c.sweeper != nil {
		c.sweeper.Stop()
	}
	return true
}

// Closed reports whether Close ran.
func (c *Core) Closed() bool { return c.closed.Load() }

// Errorf wraps err as the failure of op, before anything was sent.
func (c *Core) Errorf(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", c.Prefix, op, err)
}

// CallError wraps a failed call's error: with the caller's ctx.Err() when
// the context ended (the clients do not always wrap it), with
// session.ErrClosed when Close ran meanwhile. The drivers' errors never
// quote parameters, so no session key or value reaches the text.
func (c *Core) CallError(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %s: %w: %w", c.Prefix, op, cerr, err)
	}
	if c.closed.Load() {
		return fmt.Errorf("%s: %s: %w: %w", c.Prefix, op, session.ErrClosed, err)
	}
	return fmt.Errorf("%s: %s: %w", c.Prefix, op, err)
}

// SetCall is a planned Set: its rotation, its number of index pairs and
// the values its statements bind.
type SetCall struct {
	Rotation Rotation
	Pairs    int
	Values   Values
}

// Set enters, plans and checks a Set and binds its values. A nil value is
// stored as an empty one (nil would be NULL).
func (c *Core) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) (SetCall, error) {
	if err := c.Enter("set"); err != nil {
		return SetCall{}, err
	}
	p, err := c.Planner.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return SetCall{}, c.Errorf("set", err)
	}
	if err := c.Columns.CheckSet(&p, c.Planner.Naming.HashSubject); err != nil {
		return SetCall{}, c.Errorf("set", err)
	}
	if value == nil {
		value = []byte{}
	}
	call := SetCall{Rotation: RotateNone, Pairs: len(p.Metadata)}
	v := &call.Values
	v[ArgName] = c.Bind.key(p.Name)
	v[ArgKey] = c.Bind.key(p.Key)
	v[ArgValue] = value
	v[ArgExp] = c.Bind.exp(p.Expiry)
	if p.Rotation.Key != "" {
		call.Rotation = RotateShorten
		if p.Rotation.Remember {
			call.Rotation = RotateRemember
		}
		v[ArgOldKey] = c.Bind.key(p.Rotation.Key)
		v[ArgStaleExp] = c.Bind.exp(p.Rotation.StaleExpiry)
	}
	if n := len(p.Metadata); n > 0 {
		auds := make([]string, n)
		subs := make([]string, n)
		for i, pair := range p.Metadata {
			auds[i] = c.Planner.Naming.Audience(pair.Audience)
			subs[i] = c.Planner.Naming.Subject(pair.Subject)
		}
		v[ArgAudience], v[ArgSubject] = c.pairs(auds, subs)
	}
	return call, nil
}

func (c *Core) pairs(auds, subs []string) (any, any) {
	if c.Bind.Pairs != nil {
		return c.Bind.Pairs(auds, subs)
	}
	a, s := make([]any, len(auds)), make([]any, len(subs))
	for i := range auds {
		a[i], s[i] = auds[i], subs[i]
	}
	return a, s
}

// Get enters, plans and checks a Get: the values of Layout.Get, now by
// the Storage's clock.
func (c *Core) Get(ctx context.Context, name, key string) (*Values, error) {
	if err := c.Enter("get"); err != nil {
		return nil, err
	}
	p, err := c.Planner.Get(ctx, name, key)
	if err != nil {
		return nil, c.Errorf("get", err)
	}
	if err := c.Columns.CheckNameKey(p.Name, p.Key); err != nil {
		return nil, c.Errorf("get", err)
	}
	var v Values
	v[ArgName] = c.Bind.key(p.Name)
	v[ArgKey] = c.Bind.key(p.Key)
	v[ArgNow] = c.Bind.now(c.Clock())
	return &v, nil
}

// Delete enters, plans and checks a Delete: the values of Layout.Delete.
// The pairs are checked, not needed: the index rows go by the foreign
// key's cascade.
func (c *Core) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) (*Values, error) {
	if err := c.Enter("delete"); err != nil {
		return nil, err
	}
	p, err := c.Planner.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return nil, c.Errorf("delete", err)
	}
	if err := c.Columns.CheckNameKey(p.Name, p.Key); err != nil {
		return nil, c.Errorf("delete", err)
	}
	var v Values
	v[ArgName] = c.Bind.key(p.Name)
	v[ArgKey] = c.Bind.key(p.Key)
	return &v, nil
}

// ReadMetadata enters, plans and checks a ReadMetadata: the values of
// Layout.ReadMetadata, the pair encoded as the index stores it.
func (c *Core) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (*Values, error) {
	if err := c.Enter("read metadata"); err != nil {
		return nil, err
	}
	p, err := c.Planner.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, c.Errorf("read metadata", err)
	}
	if err := c.Columns.Name.Check("name", p.Name); err != nil {
		return nil, c.Errorf("read metadata", err)
	}
	var v Values
	v[ArgName] = c.Bind.key(p.Name)
	v[ArgAudience] = c.Planner.Naming.Audience(p.Audience)
	v[ArgSubject] = c.Planner.Naming.Subject(p.Subject)
	v[ArgNow] = c.Bind.now(p.Now)
	return &v, nil
}

// SweepValues are the values of a sweeping statement: now and the batch
// size.
func (c *Core) SweepValues(now time.Time, limit int) *Values {
	var v Values
	v[ArgNow] = c.Bind.now(now)
	v[ArgLimit] = int64(limit)
	return &v
}

// StartSweeper keeps s (Sweep is set to batch) for Sweep and, unless
// s.SweepOff, starts the background sweeper that Close stops.
func (c *Core) StartSweeper(s Settings, batch SweepFunc) {
	c.sweep = s.Sweep
	c.sweep.Sweep = batch
	if s.SweepOff {
		c.sweeper = StartSweeper(SweepConfig{}) // a no-op
		return
	}
	c.sweeper = StartSweeper(c.sweep)
}

// Sweep runs one sweeping round now (see SweepRound), its error passed
// through classify (nil: as it is) and wrapped as CallError does.
func (c *Core) Sweep(ctx context.Context, classify func(context.Context, error) error) (SweepStats, error) {
	if err := c.Enter("sweep"); err != nil {
		return SweepStats{}, err
	}
	st, err := SweepRound(ctx, c.sweep)
	if err != nil {
		if classify != nil {
			err = classify(ctx, err)
		}
		return st, c.CallError(ctx, "sweep", err)
	}
	return st, nil
}
