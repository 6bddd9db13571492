package containertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"
)

// Database is the core of the SQL drivers' test helpers (pgtest,
// mysqltest): a server container, an admin connection that creates and
// drops the namespaces (PostgreSQL schemas, MySQL databases) tests keep
// their tables in, and the errors, skips and cleanups those helpers share.
// A helper describes its server once with a Kind and wraps the Database
// in its own Server type, whose API stays the helper's.
type Database struct {
	kind  *Kind
	ctr   *Container
	admin Admin
}

// Admin runs statements of the server's administrator. The helpers open it
// with their driver's client (this package imports none).
type Admin interface {
	Exec(ctx context.Context, stmt string) error
	Close()
}

// Kind describes one helper's server.
type Kind struct {
	// Name is the helper's ("pgtest"): errors start with it, and its
	// containers carry the label org.sessionstore.<Name>=1.
	Name string
	// Spec returns the container for the server settings given (the
	// helper's WithSetting options).
	Spec func(settings map[string]string) Spec
	// Admin opens the admin connection to the server c runs.
	Admin func(c *Container) (Admin, error)
}

// errNotStarted reports a Database that Start or Run did not make.
var errNotStarted = errors.New("server not started by")

// NotStarted is the error of a helper's Server value that Start or Run
// did not make, for operation op.
func (k *Kind) NotStarted(op string) error {
	return fmt.Errorf("%s: %s: %w %s", k.Name, op, errNotStarted, k.Name)
}

// Start starts the server for the test (see the package Start: it skips
// without Docker) and opens its admin connection, closed before the
// container is removed.
func (k *Kind) Start(t testing.TB, settings map[string]string) *Database {
	t.Helper()
	d, err := k.open(Start(t, k.Spec(settings)))
	if err != nil {
		t.Fatalf("%s: %v", k.Name, err)
	}
	t.Cleanup(d.closeAdmin) // runs before the container's own cleanup
	return d
}

// Run starts the server like Start but without a testing.TB, for a
// TestMain; the caller must Terminate it. Its error matches ErrNoDocker or
// ErrNoImage when containers cannot run here (a test then calls
// SkipOrFail).
func (k *Kind) Run(ctx context.Context, settings map[string]string) (*Database, error) {
	c, err := Run(ctx, k.Spec(settings))
	if err != nil {
		return nil, err
	}
	d, err := k.open(c)
	if err != nil {
		_ = c.Terminate(context.WithoutCancel(ctx))
		return nil, err
	}
	return d, nil
}

func (k *Kind) open(c *Container) (*Database, error) {
	admin, err := k.Admin(c)
	if err != nil {
		return nil, err
	}
	return &Database{kind: k, ctr: c, admin: admin}, nil
}

// SkipOrFail ends t because err, from Run, says that containers cannot run
// here: a skip naming what is missing, or a failure with EnvRequireDocker=1.
// Any other error fails t.
func (k *Kind) SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if Unavailable(err) {
		SkipOrFail(t, k.Spec(nil), err)
	}
	t.Fatalf("%s: %v", k.Name, err)
}

// Port is the host port the server is published on.
func (d *Database) Port() int { return d.ctr.Port() }

func (d *Database) closeAdmin() {
	if d.admin != nil {
		d.admin.Close()
	}
}

// Stop stops the server but keeps the container, its data and its host
// port (see Container.Stop). d may be nil: a helper's zero Server.
func (k *Kind) Stop(ctx context.Context, d *Database) error {
	if d == nil {
		return k.NotStarted("stop")
	}
	if err := d.ctr.Stop(ctx); err != nil {
		return fmt.Errorf("%s: %w", k.Name, err)
	}
	return nil
}

// StartAgain starts a stopped server again on the same host port, with
// its data, and waits until it is ready.
func (k *Kind) StartAgain(ctx context.Context, d *Database) error {
	if d == nil {
		return k.NotStarted("start")
	}
	if err := d.ctr.Start(ctx); err != nil {
		return fmt.Errorf("%s: %w", k.Name, err)
	}
	return nil
}

// Terminate closes the admin connection and removes the container;
// terminating twice is a no-op.
func (k *Kind) Terminate(ctx context.Context, d *Database) error {
	if d == nil {
		return k.NotStarted("terminate")
	}
	d.closeAdmin()
	if err := d.ctr.Terminate(ctx); err != nil {
		return fmt.Errorf("%s: %w", k.Name, err)
	}
	return nil
}

// setupTimeout bounds each administrative statement.
const setupTimeout = 30 * time.Second

// Namespace creates a namespace with a fresh name, "<Name>_<12 hex>" (no
// quoting needed), with the statement create returns for it, and drops it
// at the end of the test with the statement drop returns. what names the
// kind of namespace in errors ("schema").
func (k *Kind) Namespace(t testing.TB, d *Database, what string, create, drop func(name string) string) string {
	t.Helper()
	if d == nil {
		t.Fatalf("%v", k.NotStarted(what))
	}
	var r [6]byte
	_, _ = rand.Read(r[:])
	name := k.Name + "_" + hex.EncodeToString(r[:])
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := d.adminExec(ctx, create(name)); err != nil {
		t.Fatalf("%s: create %s %s: %v", k.Name, what, name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := d.adminExec(ctx, drop(name)); err != nil {
			t.Errorf("%s: drop %s %s: %v", k.Name, what, name, err)
		}
	})
	return name
}

// adminExec runs an idempotent statement, trying again a few times: after
// a test restarted the server, the first use of a pooled connection fails
// (the pool replaces it then).
func (d *Database) adminExec(ctx context.Context, stmt string) error {
	var err error
	for range 3 {
		if err = d.admin.Exec(ctx, stmt); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// Store is what the helpers' NewStorage hands out: a driver's Storage.
type Store interface {
	Close() error
	CreateSchema(ctx context.Context) error
}

// OpenStore makes a Storage with open (the driver's New, its Config placed
// in a namespace of the test's own), closes it at cleanup (an error
// matching closed is no error: the test closed it itself) and creates its
// tables. Any failure fails the test.
func OpenStore[S Store](t testing.TB, k *Kind, driver string, open func() (S, error), closed error) S {
	t.Helper()
	store, err := open()
	if err != nil {
		t.Fatalf("%s: %s.New: %v", k.Name, driver, err)
	}
	// Registered after the namespace's cleanup, so it runs first: the
	// Storage closes before its tables go.
	t.Cleanup(func() {
		if err := store.Close(); err != nil && !errors.Is(err, closed) {
			t.Errorf("%s: close storage: %v", k.Name, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := store.CreateSchema(ctx); err != nil {
		t.Fatalf("%s: create schema: %v", k.Name, err)
	}
	return store
}

// SettingArgs turns server settings into command-line arguments, the
// helper's defaults first overridden by the test's, in name order (the
// same container command for the same settings).
func SettingArgs(defaults, settings map[string]string, arg func(name, value string) []string) []string {
	all := map[string]string{}
	for k, v := range defaults {
		all[k] = v
	}
	for k, v := range settings {
		all[k] = v
	}
	names := make([]string, 0, len(all))
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		out = append(out, arg(k, all[k])...)
	}
	return out
}

// Settings collects the helpers' WithSetting options.
type Settings map[string]string

// Set sets one server setting.
func (s *Settings) Set(name, value string) {
	if *s == nil {
		*s = Settings{}
	}
	(*s)[name] = value
}

// Collect applies a helper's options (func(*options), options an alias of
// Settings) and returns the settings they made.
func Collect[O ~func(*Settings)](opts []O) Settings {
	var s Settings
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	return s
}
