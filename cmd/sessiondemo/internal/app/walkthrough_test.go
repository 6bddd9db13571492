package app_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
)

const walkthroughOutput = `sessiondemo walkthrough: the memory driver on a simulated clock (no waiting)
1. [12:00:00] alice logs in on her laptop: Set with metadata (default, alice), ttl 30m0s
   Get(laptop#1) -> found
2. [12:00:00] alice logs in on her phone
   ReadMetadata(alice) -> 2 live: [laptop#1 phone#1]
3. [12:01:00] the laptop's session id is due: rotate laptop#1 -> laptop#2, OldKey laptop#1, StaleTTL 10s
   ReadMetadata(alice) -> 2 live: [laptop#2 phone#1]
4. [12:01:05] a request still in flight with the old cookie, inside the grace period
   Get(laptop#1) -> found
5. [12:01:15] the grace period is over
   Get(laptop#1) -> session.ErrNotFound
   Get(laptop#2) -> found
6. [12:01:15] alice logs out everywhere: session.RevokeAll(default, alice)
   revoked 2 sessions
   Get(laptop#2) -> session.ErrNotFound
   Get(phone#1) -> session.ErrNotFound
   ReadMetadata(alice) -> 0 live: []
done: stored, rotated with a grace period, listed and revoked.
`

func TestWalkthrough(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, app.Walkthrough(context.Background(), &out))
	assert.Equal(t, walkthroughOutput, out.String())
}

func TestWalkthroughStopsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	assert.ErrorIs(t, app.Walkthrough(ctx, &out), context.Canceled)
}
