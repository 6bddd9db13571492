package sqlstoretest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// Closed: Close is idempotent, and every call after it, CreateSchema and
// Sweep included, fails with session.ErrClosed. These need no server.
func Closed(t *testing.T, s Store) {
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close is harmless")
	ctx := context.Background()
	_, err := s.Get(ctx, "session", "k")
	assert.ErrorIs(t, err, session.ErrClosed)
	assert.ErrorIs(t, s.Set(ctx, "session", "k", nil, time.Minute, time.Now(), session.SetOptions{}), session.ErrClosed)
	assert.ErrorIs(t, s.Delete(ctx, "session", "k", time.Now(), nil), session.ErrClosed)
	_, err = s.ReadMetadata(ctx, "session", "a", "s", time.Now())
	assert.ErrorIs(t, err, session.ErrClosed)
	assert.ErrorIs(t, s.CreateSchema(ctx), session.ErrClosed)
	_, err = s.Sweep(ctx)
	assert.ErrorIs(t, err, session.ErrClosed)
}

// NoServer: s points at a server that is not there. New succeeded (it
// does not connect); calls fail with a connection error, named after the
// operation, never a miss.
func NoServer(t *testing.T, s Store, prefix string) {
	defer s.Close()
	_, err := s.Get(context.Background(), "session", "k")
	require.Error(t, err)
	assert.False(t, errors.Is(err, session.ErrNotFound))
	assert.Contains(t, err.Error(), prefix+": get:")
	err = s.Set(context.Background(), "session", "k", []byte("v"), time.Minute, time.Now(), session.SetOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), prefix+": set:")
}
