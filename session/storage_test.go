package session_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionstore/sessionstore/session"
)

func TestEffectiveStaleTTL(t *testing.T) {
	tests := []struct {
		stale, want time.Duration
	}{
		{0, session.DefaultStaleTTL},
		{time.Second, time.Second},
		{time.Nanosecond, time.Nanosecond},
		{time.Hour, time.Hour},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, session.SetOptions{StaleTTL: tt.stale}.EffectiveStaleTTL(), tt.stale)
	}
	assert.Equal(t, 10*time.Second, session.DefaultStaleTTL, "lua-resty-session's stale_ttl default")
}
