package session_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionstore/sessionstore/session"
)

func TestDefaultStaleTTL(t *testing.T) {
	assert.Equal(t, 10*time.Second, session.DefaultStaleTTL, "lua-resty-session's stale_ttl default")
}
