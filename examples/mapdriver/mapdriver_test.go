package mapdriver_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/examples/mapdriver"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newStore() (*mapdriver.Store, *driver.ManualClock) {
	c := driver.NewManualClock(time.Unix(1700000000, 0))
	return mapdriver.New(c.Now), c
}

func TestRotationGracePeriod(t *testing.T) {
	ctx := context.Background()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	tests := []struct {
		name     string
		oldTTL   time.Duration
		opts     session.SetOptions
		at       time.Duration // when the old key is read, after the rotation
		oldAlive bool
	}{
		{"inside the grace period", time.Hour, session.SetOptions{StaleTTL: 5 * time.Second}, 4 * time.Second, true},
		{"after the grace period", time.Hour, session.SetOptions{StaleTTL: 5 * time.Second}, 5 * time.Second, false},
		{"default grace period", time.Hour, session.SetOptions{}, session.DefaultStaleTTL - time.Second, true},
		{"never lengthened", 2 * time.Second, session.SetOptions{StaleTTL: time.Minute}, 2 * time.Second, false},
		{"remember deletes at once", time.Hour, session.SetOptions{Remember: true}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newStore()
			require.NoError(t, s.Set(ctx, "n", "old", []byte("v"), tc.oldTTL, c.Now(), session.SetOptions{Metadata: md}))
			opts := tc.opts
			opts.OldKey, opts.Metadata = "old", md
			require.NoError(t, s.Set(ctx, "n", "new", []byte("w"), time.Hour, c.Now(), opts))
			c.Advance(tc.at)
			_, err := s.Get(ctx, "n", "old")
			if tc.oldAlive {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, session.ErrNotFound)
			}
			live, err := s.ReadMetadata(ctx, "n", "a", "s", c.Now())
			require.NoError(t, err)
			assert.Equal(t, []string{"new"}, keys(live), "the old key leaves the index at once")
		})
	}
}

func TestMissingOldKeyIsNotCreated(t *testing.T) {
	ctx := context.Background()
	s, c := newStore()
	require.NoError(t, s.Set(ctx, "n", "new", []byte("w"), time.Hour, c.Now(), session.SetOptions{OldKey: "old"}))
	_, err := s.Get(ctx, "n", "old")
	assert.ErrorIs(t, err, session.ErrNotFound)
}

func TestValuesAreCopied(t *testing.T) {
	ctx := context.Background()
	s, c := newStore()
	buf := []byte("abc")
	require.NoError(t, s.Set(ctx, "n", "k", buf, time.Hour, c.Now(), session.SetOptions{}))
	buf[0] = 'X'
	got, err := s.Get(ctx, "n", "k")
	require.NoError(t, err)
	got[1] = 'Y'
	again, err := s.Get(ctx, "n", "k")
	require.NoError(t, err)
	assert.Equal(t, "abc", string(again))
}

func TestCancelledContext(t *testing.T) {
	s, c := newStore()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, s.Set(ctx, "n", "k", nil, time.Hour, c.Now(), session.SetOptions{}), context.Canceled)
	_, err := s.Get(ctx, "n", "k")
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.Delete(ctx, "n", "k", c.Now(), nil), context.Canceled)
	_, err = s.ReadMetadata(ctx, "n", "a", "s", c.Now())
	assert.ErrorIs(t, err, context.Canceled)
}

func keys(m map[string]time.Time) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
