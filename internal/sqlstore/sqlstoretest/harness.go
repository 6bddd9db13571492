// Package sqlstoretest is the test suite the SQL drivers (drivers/postgres
// and drivers/mysql) share beyond the conformance suite: what both must do
// against a real server and that the storage contract does not say, such
// as two Storages racing on one index, hostile arguments and table names,
// a server restarted under load, statements cut off by a deadline, the
// sweeper's batches, one round trip per operation, and sharing
// lua-resty-session's tables with a Lua node.
//
// Each test is a function a driver's test calls with a Harness: how to
// make a Storage on fresh tables, run and count raw SQL, and whatever the
// test needs of the server (a row lock, the statements waiting on it).
// What only one server has (pgx batches, statement_timeout, KILL QUERY,
// max_allowed_packet, character sets) stays in that driver's tests.
//
// It is internal: only this repository's drivers use it.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/session"
)

// The table modes, as both drivers re-export them.
const (
	OwnTables = sqlstore.OwnTables
	LuaTables = sqlstore.LuaTables
)

// Modes are the table modes every test runs in.
var Modes = []sqlstore.Mode{OwnTables, LuaTables}

// Store is what both drivers' Storages do beyond session.Storage.
type Store interface {
	session.Storage
	CreateSchema(ctx context.Context) error
	Sweep(ctx context.Context) (sqlstore.SweepStats, error)
}

// Options are the Config fields the shared tests set; a driver's New maps
// them onto its Config.
type Options struct {
	Mode sqlstore.Mode
	// Namespace puts the tables in an existing namespace (a PostgreSQL
	// schema, a MySQL database) as "<Namespace>.sessions"; empty: a fresh
	// one.
	Namespace string
	// Table names the tables as written (qualified), instead of
	// Namespace.
	Table          string
	PoolSize       int
	Clock          func() time.Time
	SweepInterval  time.Duration
	SweepBatch     int
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
	HashSubject    bool
}

// Harness is what a driver gives the shared tests.
type Harness struct {
	// Prefix starts the driver's errors ("postgres").
	Prefix string
	// Server names the server in messages ("PostgreSQL", "MariaDB").
	Server string
	// ErrConfig is the driver's configuration error.
	ErrConfig error
	// New returns a Storage with o on the shared server, its tables
	// created (CreateSchema), closed at cleanup, and the namespace of its
	// tables ("" when o.Table named them).
	New func(t testing.TB, o Options) (Store, string)
	// Open makes a Storage with o without connecting or creating tables,
	// and closes it: its error is the configuration's.
	Open func(o Options) error
	// Namespace creates a namespace of the test's own, dropped with
	// everything in it at cleanup.
	Namespace func(t testing.TB) string
	// Exec runs statements on an admin connection of the shared server
	// (several, separated by ";").
	Exec func(t testing.TB, stmt string)
	// Count counts the rows of table (spliced raw) that match where.
	Count func(t testing.TB, table, where string, args ...any) int
	// QueryString runs a query that returns one text column of one row.
	QueryString func(t testing.TB, query string, args ...any) string
	// Param is the driver's placeholder for the n-th parameter ("$1", "?").
	Param func(n int) string
}

// Key returns a fresh 43-character base64url key, as lua-resty-session
// makes them.
func Key() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Enc is what lua-resty-session's session layer passes its storage for an
// audience or subject: base64url.
func Enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// WaitFor polls cond for up to a minute: the tests assert outcomes, never
// how fast they come.
func WaitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, time.Minute, 10*time.Millisecond, what)
}

// AssertRejected asserts a clean refusal of arg: an invalid argument named
// in the error.
func AssertRejected(t testing.TB, err error, arg, what string) {
	t.Helper()
	require.Error(t, err, what)
	assert.ErrorIs(t, err, session.ErrInvalidArgument, what)
	var ae *session.ArgumentError
	require.True(t, errors.As(err, &ae), what)
	assert.Contains(t, strings.ToLower(ae.Arg), arg, what)
}

// Open makes a Storage with open (the driver's New), closes it at cleanup
// and creates its tables: a driver test's Storage.
func Open[S Store](t testing.TB, open func() (S, error)) S {
	t.Helper()
	s, err := open()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.CreateSchema(ctx))
	return s
}
