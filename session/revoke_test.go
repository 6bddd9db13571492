package session_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

func key(i int) string { return fmt.Sprintf("%043d", i) }

var now = time.Unix(1700000000, 0)

func newMemory(t *testing.T) *memory.Store {
	t.Helper()
	s := memory.New(memory.WithClock(func() time.Time { return now }))
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// failing is a Storage whose Delete fails for some keys and whose
// ReadMetadata may fail.
type failing struct {
	session.Storage
	failDelete map[string]bool
	failRead   error
	deleted    []string
	cancel     context.CancelFunc // called after the first Delete
}

var errBackend = errors.New("backend down")

func (f *failing) Delete(ctx context.Context, name, key string, now time.Time, md []session.Pair) error {
	if f.cancel != nil {
		defer f.cancel()
	}
	if f.failDelete[key] {
		return errBackend
	}
	f.deleted = append(f.deleted, key)
	return f.Storage.Delete(ctx, name, key, now, md)
}

func (f *failing) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if f.failRead != nil {
		return nil, f.failRead
	}
	return f.Storage.ReadMetadata(ctx, name, audience, subject, now)
}

func TestRevokeAll(t *testing.T) {
	ctx := context.Background()
	s := newMemory(t)
	alice := []session.Pair{{Audience: "default", Subject: "alice"}, {Audience: "admin", Subject: "alice"}}
	bob := []session.Pair{{Audience: "default", Subject: "bob"}}
	for i := range 3 {
		require.NoError(t, s.Set(ctx, "session", key(i), []byte("a"), time.Hour, now, session.SetOptions{Metadata: alice}))
	}
	require.NoError(t, s.Set(ctx, "session", key(10), []byte("b"), time.Hour, now, session.SetOptions{Metadata: bob}))
	require.NoError(t, s.Set(ctx, "remember", key(20), []byte("r"), time.Hour, now, session.SetOptions{Metadata: alice}))

	n, err := session.RevokeAll(ctx, s, "session", "default", "alice", now)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	for i := range 3 {
		_, err := s.Get(ctx, "session", key(i))
		require.ErrorIs(t, err, session.ErrNotFound)
	}
	live, err := s.ReadMetadata(ctx, "session", "default", "alice", now)
	require.NoError(t, err)
	assert.Empty(t, live, "revoked keys leave the index")

	// Other subjects and other cookie names are untouched.
	_, err = s.Get(ctx, "session", key(10))
	require.NoError(t, err)
	_, err = s.Get(ctx, "remember", key(20))
	require.NoError(t, err)

	// As documented, the other pair still lists the deleted sessions.
	live, err = s.ReadMetadata(ctx, "session", "admin", "alice", now)
	require.NoError(t, err)
	assert.Len(t, live, 3)

	n, err = session.RevokeAll(ctx, s, "session", "default", "alice", now)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to revoke")
}

func TestRevokeAllGoesOnPastAFailedDelete(t *testing.T) {
	ctx := context.Background()
	mem := newMemory(t)
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	for i := range 4 {
		require.NoError(t, mem.Set(ctx, "session", key(i), []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	}
	f := &failing{Storage: mem, failDelete: map[string]bool{key(1): true, key(2): true}}

	n, err := session.RevokeAll(ctx, f, "session", "a", "s", now)
	assert.Equal(t, 2, n)
	require.ErrorIs(t, err, errBackend)
	assert.Equal(t, []string{key(0), key(3)}, f.deleted, "keys are deleted in order, past the failures")
	for _, k := range []string{key(1), key(2)} {
		assert.NotContains(t, err.Error(), k, "the error never quotes a session key")
	}

	live, err := mem.ReadMetadata(ctx, "session", "a", "s", now)
	require.NoError(t, err)
	assert.Len(t, live, 2, "the keys that failed stay listed")
}

func TestRevokeAllReadFails(t *testing.T) {
	f := &failing{Storage: newMemory(t), failRead: fmt.Errorf("x: %w", session.ErrCorruptIndex)}
	n, err := session.RevokeAll(context.Background(), f, "session", "a", "s", now)
	assert.Zero(t, n)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
}

func TestRevokeAllStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem := newMemory(t)
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	for i := range 5 {
		require.NoError(t, mem.Set(ctx, "session", key(i), []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
	}
	f := &failing{Storage: mem, cancel: cancel}
	n, err := session.RevokeAll(ctx, f, "session", "a", "s", now)
	assert.Equal(t, 1, n)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []string{key(0)}, f.deleted)
}

func TestRevokeAllBadArguments(t *testing.T) {
	n, err := session.RevokeAll(context.Background(), newMemory(t), "session", "", "s", now)
	assert.Zero(t, n)
	require.ErrorIs(t, err, session.ErrInvalidArgument)
}

func TestRevokeAllNilArguments(t *testing.T) {
	var nilCtx context.Context
	n, err := session.RevokeAll(nilCtx, newMemory(t), "session", "a", "s", now)
	assert.Zero(t, n)
	var ae *session.ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "ctx", ae.Arg)

	n, err = session.RevokeAll(context.Background(), nil, "session", "a", "s", now)
	assert.Zero(t, n)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "s", ae.Arg)
}

// damaged reports its index as damaged: the entries come with an error
// matching ErrCorruptIndex (contract 2.19).
type damaged struct{ session.Storage }

func (d damaged) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	live, err := d.Storage.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, err
	}
	return live, fmt.Errorf("driver: read metadata: %w: 7 unreadable bytes", session.ErrCorruptIndex)
}

func TestRevokeAllRevokesWhatADamagedIndexLists(t *testing.T) {
	ctx := context.Background()
	s := newMemory(t)
	alice := []session.Pair{{Audience: "default", Subject: "alice"}}
	for i := range 2 {
		require.NoError(t, s.Set(ctx, "session", key(i), []byte("a"), time.Hour, now, session.SetOptions{Metadata: alice}))
	}
	n, err := session.RevokeAll(ctx, damaged{s}, "session", "default", "alice", now)
	require.NoError(t, err, "the damage is repaired by the deletes: not an error of RevokeAll")
	assert.Equal(t, 2, n)
	for i := range 2 {
		_, err := s.Get(ctx, "session", key(i))
		require.ErrorIs(t, err, session.ErrNotFound)
	}

	// An error without entries is a failure.
	n, err = session.RevokeAll(ctx, &failing{Storage: s, failRead: session.ErrCorruptIndex}, "session", "default", "alice", now)
	assert.Zero(t, n)
	require.ErrorIs(t, err, session.ErrCorruptIndex)
}
