package scsstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/scsstore"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// token is shaped as scs makes them (32 random bytes, base64url); tests look
// for it in error texts.
const token = "TOKENqZ3Yx0bW9uZXktc2VjcmV0LXRva2VuLXRva2Vu"

// t0 is the clock of the tests that set one.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newStore returns a Store over a fresh recorder whose clock, and the
// memory driver's, is a ManualClock at t0.
func newStore(t *testing.T, opts ...scsstore.Option) (*scsstore.Store, *recorder, *driver.ManualClock) {
	t.Helper()
	clock := driver.NewManualClock(t0)
	rec := newRecorder(memory.WithClock(clock.Now))
	t.Cleanup(func() { require.NoError(t, rec.Close()) })
	s := scsstore.New(rec, opts...)
	s.SetClock(clock.Now)
	return s, rec, clock
}

// noToken fails unless err is non-nil and its text does not contain tok.
func noToken(t *testing.T, err error, tok string) {
	t.Helper()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), tok, "an error quotes the token")
}

func TestNewDefaults(t *testing.T) {
	s, rec, _ := newStore(t)
	assert.Equal(t, scsstore.DefaultCookieName, s.CookieName())
	assert.Equal(t, "session", scsstore.DefaultCookieName, "scs's and lua-resty-session's default")
	assert.Same(t, rec, s.Storage())

	require.NoError(t, s.Commit(token, []byte("v"), t0.Add(time.Hour)))
	got, err := rec.next.Get(t.Context(), "session", token)
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), got)
	calls := rec.log()
	require.Len(t, calls, 1)
	assert.Empty(t, calls[0].pairs, "no metadata without WithMetadata")

	// Without WithMetadata, Delete is one call: no read of the session first.
	require.NoError(t, s.Delete(token))
	assert.Equal(t, []string{"delete"}, rec.ops())

	// A nil Option is ignored, not called.
	assert.Equal(t, "session", scsstore.New(rec, nil).CookieName())
}

func TestWithCookieName(t *testing.T) {
	s, rec, _ := newStore(t, scsstore.WithCookieName("remember"))
	assert.Equal(t, "remember", s.CookieName())

	require.NoError(t, s.Commit(token, []byte("v"), t0.Add(time.Hour)))
	_, err := rec.next.Get(t.Context(), "remember", token)
	require.NoError(t, err)
	_, err = rec.next.Get(t.Context(), "session", token)
	require.ErrorIs(t, err, session.ErrNotFound, "stored under the default name too")

	b, found, err := s.Find(token)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, []byte("v"), b)
	for _, c := range rec.log() {
		assert.Equal(t, "remember", c.name, c.op)
	}
}

// A configuration no Storage accepts fails every call, and is never taken
// for a session that is not found.
func TestInvalidConfiguration(t *testing.T) {
	rec := newRecorder()
	t.Cleanup(func() { require.NoError(t, rec.Close()) })
	var nilStore *scsstore.Store
	for name, s := range map[string]*scsstore.Store{
		"empty cookie name":     scsstore.New(rec, scsstore.WithCookieName("")),
		"cookie name with ':'":  scsstore.New(rec, scsstore.WithCookieName("a:b")),
		"nil Storage":           scsstore.New(nil),
		"zero Store":            {},
		"nil *Store":            nilStore,
		"valid name, then nil":  scsstore.New(nil, scsstore.WithCookieName("remember")),
		"nil Storage, bad name": scsstore.New(nil, scsstore.WithCookieName("")),
	} {
		t.Run(name, func(t *testing.T) {
			assertAllFail(t, s, session.ErrInvalidArgument)
			assert.Empty(t, rec.log(), "the Storage was called")
		})
	}
	assert.Empty(t, nilStore.CookieName())
	assert.Nil(t, nilStore.Storage())
}

// assertAllFail checks that all six methods fail with an error matching
// target that does not quote the token, and that Find reports found ==
// false with it.
func assertAllFail(t *testing.T, s *scsstore.Store, target error) {
	t.Helper()
	ctx := t.Context()
	b, found, err := s.FindCtx(ctx, token)
	require.ErrorIs(t, err, target)
	noToken(t, err, token)
	assert.False(t, found)
	assert.Nil(t, b)
	_, found, err = s.Find(token)
	require.ErrorIs(t, err, target)
	assert.False(t, found)

	err = s.CommitCtx(ctx, token, []byte("v"), time.Now().Add(time.Hour))
	require.ErrorIs(t, err, target)
	noToken(t, err, token)
	require.ErrorIs(t, s.Commit(token, []byte("v"), time.Now().Add(time.Hour)), target)

	err = s.DeleteCtx(ctx, token)
	require.ErrorIs(t, err, target)
	noToken(t, err, token)
	require.ErrorIs(t, s.Delete(token), target)
}

func TestClosedStorage(t *testing.T) {
	s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
	require.NoError(t, s.Commit(token, []byte("alice"), t0.Add(time.Hour)))
	require.NoError(t, rec.Close())
	// ErrClosed is a failure of the Storage, never a session not found.
	assertAllFail(t, s, session.ErrClosed)
}

func TestCommitFind(t *testing.T) {
	s, rec, clock := newStore(t)
	ctx := t.Context()

	require.NoError(t, s.CommitCtx(ctx, token, []byte("v1"), t0.Add(90*time.Second)))
	calls := rec.log()
	require.Len(t, calls, 1)
	assert.Equal(t, "set", calls[0].op)
	assert.Equal(t, 90*time.Second, calls[0].ttl, "ttl = expiry - now")
	assert.Equal(t, t0, calls[0].now, "now is the Store's clock")

	b, found, err := s.FindCtx(ctx, token)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, []byte("v1"), b)

	// Commit overwrites data and expiry.
	require.NoError(t, s.CommitCtx(ctx, token, []byte("v2"), t0.Add(10*time.Minute)))
	clock.Advance(5 * time.Minute)
	b, found, err = s.FindCtx(ctx, token)
	require.NoError(t, err)
	assert.True(t, found, "the later expiry replaced the earlier one")
	assert.Equal(t, []byte("v2"), b)

	// A sub-second TTL is passed on as is: the Storage rounds it.
	rec.log()
	require.NoError(t, s.CommitCtx(ctx, token, []byte("v3"), clock.Now().Add(time.Millisecond)))
	assert.Equal(t, time.Millisecond, rec.log()[0].ttl)
}

func TestFindNotFound(t *testing.T) {
	s, _, clock := newStore(t)
	ctx := t.Context()

	b, found, err := s.FindCtx(ctx, token)
	require.NoError(t, err, "a not-found is never an error")
	assert.False(t, found)
	assert.Nil(t, b)

	require.NoError(t, s.CommitCtx(ctx, token, []byte("v"), t0.Add(time.Minute)))
	clock.Advance(time.Minute)
	b, found, err = s.FindCtx(ctx, token)
	require.NoError(t, err, "an expired session is not an error")
	assert.False(t, found)
	assert.Nil(t, b)

	require.NoError(t, s.CommitCtx(ctx, token, []byte("v"), clock.Now().Add(time.Minute)))
	require.NoError(t, s.DeleteCtx(ctx, token))
	_, found, err = s.FindCtx(ctx, token)
	require.NoError(t, err)
	assert.False(t, found, "a deleted session")

	require.NoError(t, s.DeleteCtx(ctx, token), "deleting a missing token is no error")
}

func TestCommitPastExpiryDeletes(t *testing.T) {
	for name, expiry := range map[string]time.Time{
		"expiry now":       t0,
		"expiry past":      t0.Add(-time.Second),
		"zero expiry":      {},
		"a nanosecond ago": t0.Add(-time.Nanosecond),
	} {
		t.Run(name, func(t *testing.T) {
			s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
			ctx := t.Context()
			require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(time.Hour)))
			rec.log()

			require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), expiry))
			calls := rec.log()
			require.Len(t, calls, 1)
			assert.Equal(t, "delete", calls[0].op, "a Storage cannot store a TTL <= 0")
			assert.Equal(t, t0, calls[0].now)
			assert.Equal(t, []session.Pair{alice}, calls[0].pairs, "the token leaves the value's indexes")

			_, found, err := s.FindCtx(ctx, token)
			require.NoError(t, err)
			assert.False(t, found)
			live, err := rec.next.ReadMetadata(ctx, "session", alice.Audience, alice.Subject, t0)
			require.NoError(t, err)
			assert.Empty(t, live)

			// A session that was never stored: no error either.
			require.NoError(t, s.CommitCtx(ctx, "other", []byte("bob"), expiry))
		})
	}

	// One nanosecond in the future is still a Set.
	s, rec, _ := newStore(t)
	require.NoError(t, s.Commit(token, []byte("v"), t0.Add(time.Nanosecond)))
	assert.Equal(t, []string{"set"}, rec.ops())
}

// Tokens no Storage accepts as a key: scs mints base64url, so only a
// tampered cookie or a bug yields them.
func TestMalformedTokens(t *testing.T) {
	s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
	ctx := t.Context()
	for name, tok := range map[string]string{
		"empty":       "",
		"colon":       "TOKEN:x",
		"only colons": ":::",
	} {
		t.Run(name, func(t *testing.T) {
			b, found, err := s.FindCtx(ctx, tok)
			require.NoError(t, err, "scs: a malformed token is found == false, err == nil")
			assert.False(t, found)
			assert.Nil(t, b)

			err = s.CommitCtx(ctx, tok, []byte("alice"), t0.Add(time.Hour))
			require.ErrorIs(t, err, session.ErrInvalidArgument)
			var ae *session.ArgumentError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "key", ae.Arg)
			if tok != "" {
				noToken(t, err, tok)
			}

			// scs deletes the empty token when it destroys a session that
			// was never committed; nothing can be stored under these.
			require.NoError(t, s.DeleteCtx(ctx, tok))

			assert.Empty(t, rec.log(), "a malformed token reached the Storage")
		})
	}

	// A key the Storage refuses itself (';' cannot go into an index):
	// Commit fails with the Storage's error, Find is a plain not-found.
	const semi = "TOKEN;x"
	err := s.CommitCtx(ctx, semi, []byte("alice"), t0.Add(time.Hour))
	require.ErrorIs(t, err, session.ErrInvalidArgument)
	noToken(t, err, semi)
	_, found, err := s.FindCtx(ctx, semi)
	require.NoError(t, err)
	assert.False(t, found)
}

// A Storage that refuses a key for a limit of its own (memcached's key
// length, say): Find reports not found; any other refusal is an error.
func TestFindKeyRefusedByStorage(t *testing.T) {
	s, rec, _ := newStore(t)
	ctx := t.Context()

	rec.failWith("get", driver.TooLarge("key", 250))
	b, found, err := s.FindCtx(ctx, token)
	require.NoError(t, err)
	assert.False(t, found)
	assert.Nil(t, b)

	rec.failWith("get", driver.Invalid("name", "too long for this driver"))
	_, found, err = s.FindCtx(ctx, token)
	require.ErrorIs(t, err, session.ErrInvalidArgument, "a refused name is a failure, not a missing session")
	assert.False(t, found)
}

var errBackend = errors.New("backend down")

func TestErrorChains(t *testing.T) {
	s, rec, _ := newStore(t)
	ctx := t.Context()
	// What a driver returns: its own wrapping around a sentinel.
	failure := errors.Join(errBackend, session.ErrFull)

	for _, op := range []string{"get", "set", "delete"} {
		rec.failWith(op, failure)
	}
	_, found, err := s.FindCtx(ctx, token)
	assert.False(t, found)
	require.ErrorIs(t, err, errBackend)
	require.ErrorIs(t, err, session.ErrFull)
	assert.True(t, strings.HasPrefix(err.Error(), "scsstore: find: "), err.Error())
	noToken(t, err, token)

	err = s.CommitCtx(ctx, token, []byte("v"), t0.Add(time.Hour))
	require.ErrorIs(t, err, errBackend)
	require.ErrorIs(t, err, session.ErrFull)
	assert.True(t, strings.HasPrefix(err.Error(), "scsstore: commit: "), err.Error())
	noToken(t, err, token)

	err = s.CommitCtx(ctx, token, []byte("v"), t0.Add(-time.Hour))
	require.ErrorIs(t, err, errBackend, "the delete of an expired commit")
	noToken(t, err, token)

	err = s.DeleteCtx(ctx, token)
	require.ErrorIs(t, err, errBackend)
	require.ErrorIs(t, err, session.ErrFull)
	assert.True(t, strings.HasPrefix(err.Error(), "scsstore: delete: "), err.Error())
	noToken(t, err, token)

	// A done context, as drivers report it.
	for _, op := range []string{"get", "set", "delete"} {
		rec.failWith(op, nil)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = s.FindCtx(cancelled, token)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, s.CommitCtx(cancelled, token, []byte("v"), t0.Add(time.Hour)), context.Canceled)
	require.ErrorIs(t, s.DeleteCtx(cancelled, token), context.Canceled)
}

func TestNilContext(t *testing.T) {
	s, rec, _ := newStore(t)
	var nilCtx context.Context
	_, found, err := s.FindCtx(nilCtx, token)
	require.ErrorIs(t, err, session.ErrInvalidArgument)
	assert.False(t, found)
	require.ErrorIs(t, s.CommitCtx(nilCtx, token, []byte("v"), t0.Add(time.Hour)), session.ErrInvalidArgument)
	require.ErrorIs(t, s.DeleteCtx(nilCtx, token), session.ErrInvalidArgument)
	assert.Empty(t, rec.log())
}

type ctxKey struct{}

func TestContextPassedThrough(t *testing.T) {
	var seen []context.Context
	md := func(ctx context.Context, value []byte) ([]session.Pair, error) {
		seen = append(seen, ctx)
		return byValue(ctx, value)
	}
	s, rec, _ := newStore(t, scsstore.WithMetadata(md))
	ctx := context.WithValue(t.Context(), ctxKey{}, "request")

	require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(time.Hour)))
	_, _, err := s.FindCtx(ctx, token)
	require.NoError(t, err)
	require.NoError(t, s.DeleteCtx(ctx, token))
	require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(-time.Hour)))

	calls := rec.log()
	require.Len(t, calls, 5) // set, get, get + delete, delete
	for _, c := range calls {
		assert.Equal(t, "request", c.ctx.Value(ctxKey{}), c.op)
	}
	require.Len(t, seen, 3)
	for _, c := range seen {
		assert.Equal(t, "request", c.Value(ctxKey{}), "MetadataFunc")
	}

	// The methods without a context hand the Storage a live one.
	require.NoError(t, s.Commit(token, []byte("alice"), t0.Add(time.Hour)))
	_, _, err = s.Find(token)
	require.NoError(t, err)
	require.NoError(t, s.Delete(token))
	for _, c := range rec.log() {
		require.NotNil(t, c.ctx, c.op)
		assert.NoError(t, c.ctx.Err(), c.op)
	}
}

// alice is the pair byValue derives from the value "alice".
var alice = session.Pair{Audience: "app", Subject: "alice"}

// byValue is a MetadataFunc for raw test values: the value is the user,
// "" is nobody, "!" cannot be decoded.
func byValue(_ context.Context, value []byte) ([]session.Pair, error) {
	switch string(value) {
	case "":
		return nil, nil
	case "!":
		return nil, errDecode
	}
	return []session.Pair{{Audience: "app", Subject: string(value)}}, nil
}

var errDecode = errors.New("cannot decode the session")

func TestMetadata(t *testing.T) {
	ctx := t.Context()
	// read lists subject's live sessions, each with its expiry in Unix
	// seconds (the Storage returns local times).
	read := func(t *testing.T, rec *recorder, subject string) map[string]int64 {
		t.Helper()
		live, err := rec.next.ReadMetadata(ctx, "session", "app", subject, t0)
		require.NoError(t, err)
		unix := map[string]int64{}
		for k, exp := range live {
			unix[k] = exp.Unix()
		}
		return unix
	}

	t.Run("commit indexes with the session's expiry", func(t *testing.T) {
		s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
		require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(time.Hour)))
		assert.Equal(t, map[string]int64{token: t0.Add(time.Hour).Unix()}, read(t, rec, "alice"))

		// An idle-timeout recommit moves the index entry's expiry with it.
		require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(2*time.Hour)))
		assert.Equal(t, map[string]int64{token: t0.Add(2 * time.Hour).Unix()}, read(t, rec, "alice"))

		// An anonymous session is not indexed.
		rec.log()
		require.NoError(t, s.CommitCtx(ctx, "anon", []byte(""), t0.Add(time.Hour)))
		assert.Empty(t, rec.log()[0].pairs)
	})

	t.Run("delete leaves the index", func(t *testing.T) {
		s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
		require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(time.Hour)))
		rec.log()
		require.NoError(t, s.DeleteCtx(ctx, token))
		calls := rec.log()
		require.Len(t, calls, 2)
		assert.Equal(t, "get", calls[0].op)
		assert.Equal(t, "delete", calls[1].op)
		assert.Equal(t, []session.Pair{alice}, calls[1].pairs)
		assert.Equal(t, t0, calls[1].now)
		assert.Empty(t, read(t, rec, "alice"))

		// A session already gone: deleted without metadata, no error.
		require.NoError(t, s.DeleteCtx(ctx, token))
		calls = rec.log()
		require.Len(t, calls, 2)
		assert.Empty(t, calls[1].pairs)
	})

	t.Run("a MetadataFunc error fails the commit", func(t *testing.T) {
		s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
		err := s.CommitCtx(ctx, token, []byte("!"), t0.Add(time.Hour))
		require.ErrorIs(t, err, errDecode)
		noToken(t, err, token)
		assert.Empty(t, rec.log(), "stored unindexed, out of RevokeAll's reach")
		err = s.CommitCtx(ctx, token, []byte("!"), t0.Add(-time.Hour))
		require.ErrorIs(t, err, errDecode)
	})

	t.Run("delete deletes when the metadata cannot be read", func(t *testing.T) {
		s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
		require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(time.Hour)))

		rec.failWith("get", errBackend)
		require.NoError(t, s.DeleteCtx(ctx, token), "the delete itself succeeded")
		rec.failWith("get", nil)
		_, found, err := s.FindCtx(ctx, token)
		require.NoError(t, err)
		assert.False(t, found, "a logout must not hinge on the index")
		// The token stays listed until its expiry; RevokeAll tolerates it.
		assert.Contains(t, read(t, rec, "alice"), token)

		// The MetadataFunc fails on the stored value.
		require.NoError(t, s.CommitCtx(ctx, "bad", []byte("alice"), t0.Add(time.Hour)))
		require.NoError(t, rec.next.Set(ctx, "session", "bad", []byte("!"), time.Hour, t0, session.SetOptions{}))
		require.NoError(t, s.DeleteCtx(ctx, "bad"))
		_, found, err = s.FindCtx(ctx, "bad")
		require.NoError(t, err)
		assert.False(t, found)
	})

	t.Run("a failed delete reports both failures", func(t *testing.T) {
		s, rec, _ := newStore(t, scsstore.WithMetadata(byValue))
		rec.failWith("get", errBackend)
		rec.failWith("delete", session.ErrFull)
		err := s.DeleteCtx(ctx, token)
		require.ErrorIs(t, err, errBackend)
		require.ErrorIs(t, err, session.ErrFull)
		noToken(t, err, token)
	})

	t.Run("nil MetadataFunc indexes nothing", func(t *testing.T) {
		s, rec, _ := newStore(t, scsstore.WithMetadata(nil))
		require.NoError(t, s.CommitCtx(ctx, token, []byte("alice"), t0.Add(time.Hour)))
		require.NoError(t, s.DeleteCtx(ctx, token))
		assert.Equal(t, []string{"set", "delete"}, rec.ops())
	})
}

// The Store does not offer iteration: scs's All needs a scan of every
// session, which the Storage contract has no operation for.
func TestNotIterable(t *testing.T) {
	var store scs.Store = scsstore.New(nil)
	_, iterable := store.(scs.IterableStore)
	assert.False(t, iterable)
	_, iterable = store.(scs.IterableCtxStore)
	assert.False(t, iterable)
	_, ctxStore := store.(scs.CtxStore)
	assert.True(t, ctxStore, "scs must take the context-aware methods")
}
