package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sessionstore/sessionstore/examples/mapdriver"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// probe is the Storage the wrapper's tests wrap: the reference driver
// (examples/mapdriver, on a clock standing at t0) with a test's hooks. It
// records the context each call received, returns fail instead of calling
// the driver while fail is set, and counts Close calls.
type probe struct {
	session.Storage

	mu      sync.Mutex
	fail    error
	lastCtx context.Context
	closed  int
}

func newProbe() *probe {
	return &probe{Storage: mapdriver.New(driver.NewManualClock(t0).Now)}
}

// failWith makes every later call return err; nil lets calls through again.
func (p *probe) failWith(err error) {
	p.mu.Lock()
	p.fail = err
	p.mu.Unlock()
}

// seen returns the context the last call received.
func (p *probe) seen() context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastCtx
}

func (p *probe) enter(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastCtx = ctx
	return p.fail
}

func (p *probe) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := p.enter(ctx); err != nil {
		return err
	}
	return p.Storage.Set(ctx, name, key, value, ttl, now, opts)
}

func (p *probe) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := p.enter(ctx); err != nil {
		return nil, err
	}
	return p.Storage.Get(ctx, name, key)
}

func (p *probe) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if err := p.enter(ctx); err != nil {
		return err
	}
	return p.Storage.Delete(ctx, name, key, now, metadata)
}

func (p *probe) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := p.enter(ctx); err != nil {
		return nil, err
	}
	return p.Storage.ReadMetadata(ctx, name, audience, subject, now)
}

// Close closes the driver, counts the call and returns errCloseSentinel, so
// that a test sees the result of the wrapped Close come through.
func (p *probe) Close() error {
	p.mu.Lock()
	p.closed++
	p.mu.Unlock()
	_ = p.Storage.Close()
	return errCloseSentinel
}

func (p *probe) closeCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

var errCloseSentinel = errors.New("probe: close result")

// reporterProbe is a probe whose driver reports an endpoint.
type reporterProbe struct {
	*probe
	ep driver.Endpoint
}

func (r *reporterProbe) Endpoint() driver.Endpoint { return r.ep }

// damagedIndex returns, from ReadMetadata, the entries of the wrapped
// Storage together with an error matching session.ErrCorruptIndex: what a
// driver reports for an index holding garbage beside well-formed entries
// (contract 2.19).
type damagedIndex struct{ session.Storage }

var errDamaged = fmt.Errorf("probe: %w: 9 unreadable bytes", session.ErrCorruptIndex)

func (d damagedIndex) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	live, err := d.Storage.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, err
	}
	return live, errDamaged
}

// leakyError is what a non-conforming transport layer might return: its
// text quotes a server reply that names the key. The wrapper must not copy
// it anywhere.
type leakyError struct{ reply string }

func (e *leakyError) Error() string { return "probe: unexpected reply " + e.reply }
