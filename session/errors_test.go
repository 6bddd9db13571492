package session_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

func TestArgumentError(t *testing.T) {
	tests := []struct {
		name     string
		err      *session.ArgumentError
		text     string
		tooLarge bool
	}{
		{"plain", &session.ArgumentError{Arg: "ttl", Reason: "must be positive"}, "session: invalid ttl: must be positive", false},
		{"limit", &session.ArgumentError{Arg: "value", Reason: "too large", Limit: 1024}, "session: invalid value: too large (limit 1024 bytes)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.text, tt.err.Error())
			wrapped := fmt.Errorf("driver: set: %w", tt.err)
			assert.ErrorIs(t, wrapped, session.ErrInvalidArgument)
			assert.Equal(t, tt.tooLarge, errors.Is(wrapped, session.ErrTooLarge))
			assert.NotErrorIs(t, wrapped, session.ErrNotFound)
			var ae *session.ArgumentError
			require.ErrorAs(t, wrapped, &ae)
			assert.Same(t, tt.err, ae)
		})
	}
}

func TestSentinelsAreDistinct(t *testing.T) {
	all := []error{session.ErrNotFound, session.ErrInvalidArgument, session.ErrTooLarge,
		session.ErrCorruptIndex, session.ErrFull, session.ErrClosed}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
}
