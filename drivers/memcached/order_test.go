package memcached

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// The write order of contract 2.17, request by request, on a fake
// memcached: Set writes the session, then the index, then the old key;
// Delete unlists before it deletes; a failed index update fails closed.

var errBroken = errors.New("connection broken")

// fakeStorage returns a Storage on a fake memcached, and the short names
// of its items for reading request logs: S1, S2, S3 for the sessions k1,
// k2, k3 and I for the index of (a, s).
func fakeStorage(t *testing.T) (*Storage, *fakeMemcached, map[string]string) {
	t.Helper()
	f := newFake()
	s := newStorage(Config{MaxValueSize: DefaultMaxValueSize}, f, func() error { return nil })
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	names := map[string]string{
		"session%3Ak1":      "S1",
		"session%3Ak2":      "S2",
		"session%3Ak3":      "S3",
		"session%3AYQ%3Acw": "I",
	}
	return s, f, names
}

var pairAS = []session.Pair{{Audience: "a", Subject: "s"}}

func TestSetOrder(t *testing.T) {
	s, f, names := fakeStorage(t)
	ctx, now := t.Context(), time.Now()
	set := func(key string, opts session.SetOptions) string {
		t.Helper()
		_, mark := f.requests(0)
		require.NoError(t, s.Set(ctx, "session", key, []byte("v"), time.Hour, now, opts))
		log, _ := f.requests(mark)
		return short(log, names)
	}
	assert.Equal(t, "set S1", set("k1", session.SetOptions{}))
	assert.Equal(t, "set S1, get I, add I", set("k1", session.SetOptions{Metadata: pairAS}),
		"the session first, then its index")
	assert.Equal(t, "set S2, append I, touch S1", set("k2", session.SetOptions{OldKey: "k1", Metadata: pairAS}),
		"the rotated-away key leaves the index (in the same append) before it is touched")
	assert.Equal(t, "set S3, append I, delete S2", set("k3", session.SetOptions{OldKey: "k2", Remember: true, Metadata: pairAS}),
		"and before it is deleted")
	assert.Equal(t, "set S1, touch S3", set("k1", session.SetOptions{OldKey: "k3"}), "no index without metadata")

	item, ok := f.value("session%3AYQ%3Acw")
	require.True(t, ok)
	assert.Contains(t, item, "k2;", "the rotation's marker")
}

func TestDeleteOrder(t *testing.T) {
	s, f, names := fakeStorage(t)
	ctx, now := t.Context(), time.Now()
	require.NoError(t, s.Set(ctx, "session", "k1", []byte("v"), time.Hour, now, session.SetOptions{Metadata: pairAS}))
	_, mark := f.requests(0)
	require.NoError(t, s.Delete(ctx, "session", "k1", now, pairAS))
	log, _ := f.requests(mark)
	assert.Equal(t, "append I, delete S1", short(log, names), "out of the index first, then the session")
}

func TestSetWhoseIndexUpdateFailsRemovesTheSession(t *testing.T) {
	s, f, names := fakeStorage(t)
	ctx, cancel := context.WithCancel(t.Context())
	now := time.Now()
	f.fail["get"] = errBroken
	f.before = func(cmd, _ string) {
		if cmd == "get" {
			cancel() // the caller gives up while the index update is on the wire
		}
	}
	err := s.Set(ctx, "session", "k1", []byte("v"), time.Hour, now, session.SetOptions{Metadata: pairAS})
	require.ErrorIs(t, err, errBroken)
	assert.Contains(t, err.Error(), "session removed")
	log, _ := f.requests(0)
	assert.Equal(t, "set S1, get I, delete S1", short(log, names))
	assert.NoError(t, f.ctxErrs[2], "the removal runs on a context of its own, the caller's having ended")
	_, ok := f.value("session%3Ak1")
	assert.False(t, ok, "a session its index does not list is not left readable")

	// When the removal fails too, the error says that the session may
	// still be readable.
	f.before = nil
	f.fail["delete"] = errBroken
	err = s.Set(t.Context(), "session", "k2", []byte("v"), time.Hour, now, session.SetOptions{Metadata: pairAS})
	require.ErrorIs(t, err, errBroken)
	assert.Contains(t, err.Error(), "may stay readable")
}

func TestDeleteWhoseIndexUpdateFailsKeepsTheSession(t *testing.T) {
	s, f, names := fakeStorage(t)
	ctx, now := t.Context(), time.Now()
	require.NoError(t, s.Set(ctx, "session", "k1", []byte("v"), time.Hour, now, session.SetOptions{Metadata: pairAS}))
	f.fail["append"] = errBroken
	_, mark := f.requests(0)
	err := s.Delete(ctx, "session", "k1", now, pairAS)
	require.ErrorIs(t, err, errBroken)
	assert.Contains(t, err.Error(), "session kept")
	log, _ := f.requests(mark)
	assert.Equal(t, "append I", short(log, names), "the session is not deleted while it is still listed")
	got, err := s.Get(ctx, "session", "k1")
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), got)
}

func TestOldKeyFailureAfterIndexUpdate(t *testing.T) {
	s, f, _ := fakeStorage(t)
	ctx, now := t.Context(), time.Now()
	f.fail["touch"] = errBroken
	err := s.Set(ctx, "session", "k2", []byte("v"), time.Hour, now, session.SetOptions{OldKey: "k1", Metadata: pairAS})
	require.ErrorIs(t, err, errBroken)
	assert.Contains(t, err.Error(), "old key not rotated")
	_, ok := f.value("session%3Ak2")
	assert.True(t, ok, "the new session is stored and indexed: it stays")

	// A missing old key is not an error, and is not created.
	delete(f.fail, "touch")
	require.NoError(t, s.Set(ctx, "session", "k3", []byte("v"), time.Hour, now, session.SetOptions{OldKey: "k1"}))
	_, ok = f.value("session%3Ak1")
	assert.False(t, ok)
}

func TestSessionTooLargeForTheServer(t *testing.T) {
	s, f, _ := fakeStorage(t)
	f.fail["set"] = &itemTooLargeError{maxValue: 1000}
	err := s.Set(t.Context(), "session", "k1", make([]byte, 2000), time.Hour, time.Now(), session.SetOptions{})
	require.ErrorIs(t, err, session.ErrTooLarge)
	var ae *session.ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 1000, ae.Limit)

	f.fail["set"] = &itemTooLargeError{} // the server's limit is not known
	err = s.Set(t.Context(), "session", "k1", make([]byte, 2000), time.Hour, time.Now(), session.SetOptions{})
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, DefaultMaxValueSize, ae.Limit, "then the configured limit is named")
}

// A request that failed after it was written may have been applied: the
// Set's session, or the Delete's deletion marker. Either way the session
// must not stay readable while unlisted.
func TestFailuresThatMayHaveBeenApplied(t *testing.T) {
	unsure := &unsureError{errBroken}
	t.Run("session write", func(t *testing.T) {
		s, f, names := fakeStorage(t)
		f.fail["set"] = unsure
		err := s.Set(t.Context(), "session", "k1", []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: pairAS})
		require.ErrorIs(t, err, errBroken)
		assert.Contains(t, err.Error(), "session removed")
		log, _ := f.requests(0)
		assert.Equal(t, "set S1, delete S1", short(log, names))

		// Without metadata there is no index to be missing from.
		_, mark := f.requests(0)
		err = s.Set(t.Context(), "session", "k1", []byte("v"), time.Hour, time.Now(), session.SetOptions{})
		require.ErrorIs(t, err, errBroken)
		log, _ = f.requests(mark)
		assert.Equal(t, "set S1", short(log, names))
	})
	t.Run("deletion marker", func(t *testing.T) {
		s, f, names := fakeStorage(t)
		require.NoError(t, s.Set(t.Context(), "session", "k1", []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: pairAS}))
		f.fail["append"] = unsure
		_, mark := f.requests(0)
		err := s.Delete(t.Context(), "session", "k1", time.Now(), pairAS)
		require.ErrorIs(t, err, errBroken)
		assert.Contains(t, err.Error(), "session removed")
		log, _ := f.requests(mark)
		assert.Equal(t, "append I, delete S1", short(log, names))
		_, ok := f.value("session%3Ak1")
		assert.False(t, ok)
	})
	t.Run("an error answer was not applied", func(t *testing.T) {
		s, f, names := fakeStorage(t)
		f.fail["set"] = errBroken
		err := s.Set(t.Context(), "session", "k1", []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: pairAS})
		require.ErrorIs(t, err, errBroken)
		log, _ := f.requests(0)
		assert.Equal(t, "set S1", short(log, names))
	})
}
