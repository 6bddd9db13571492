package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

func testCore(b Binder) *Core {
	return &Core{
		Prefix:  "test",
		Columns: Columns{Name: Text, Key: Text, Value: Binary, MaxName: 255, MaxKey: 512, MaxPair: 384},
		Planner: driver.Planner{},
		Clock:   func() time.Time { return time.Unix(1700000000, 5) },
		Bind:    b,
	}
}

func TestCoreBindsValues(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0)
	c := testCore(Binder{Key: func(k string) any { return []byte(k) }, Exp: func(sec int64) any { return -sec }})
	call, err := c.Set(ctx, "n", "k", nil, time.Minute, now, session.SetOptions{
		OldKey: "o", Remember: true, Metadata: []session.Pair{{Audience: "a", Subject: "s"}},
	})
	require.NoError(t, err)
	assert.Equal(t, RotateRemember, call.Rotation)
	assert.Equal(t, 1, call.Pairs)
	v := call.Values
	assert.Equal(t, []byte("n"), v[ArgName])
	assert.Equal(t, []byte("k"), v[ArgKey])
	assert.Equal(t, []byte("o"), v[ArgOldKey])
	assert.Equal(t, []byte{}, v[ArgValue], "a nil value is stored empty, never NULL")
	assert.Equal(t, -(now.Unix() + 60), v[ArgExp])
	assert.Equal(t, []any{"YQ"}, v[ArgAudience], "pairs default to []any, element by element")
	assert.Equal(t, []any{"cw"}, v[ArgSubject])

	c = testCore(Binder{Pairs: func(a, s []string) (any, any) { return a, s }})
	call, err = c.Set(ctx, "n", "k", []byte("v"), time.Minute, now, session.SetOptions{OldKey: "o", Metadata: []session.Pair{{Audience: "a", Subject: "s"}}})
	require.NoError(t, err)
	assert.Equal(t, RotateShorten, call.Rotation)
	assert.Equal(t, "k", call.Values[ArgKey])
	assert.Equal(t, now.Unix()+60, call.Values[ArgExp])
	assert.Equal(t, []string{"YQ"}, call.Values[ArgAudience])

	g, err := c.Get(ctx, "n", "k")
	require.NoError(t, err)
	assert.Equal(t, c.Clock(), g[ArgNow], "Get decides by the Storage's clock")
	r, err := c.ReadMetadata(ctx, "n", "a", "s", now)
	require.NoError(t, err)
	assert.Equal(t, "YQ", r[ArgAudience])
	assert.Equal(t, now, r[ArgNow])
	d, err := c.Delete(ctx, "n", "k", now, nil)
	require.NoError(t, err)
	assert.Equal(t, "k", d[ArgKey])
	sv := c.SweepValues(now, 7)
	assert.Equal(t, int64(7), sv[ArgLimit])
}

func TestCoreRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	c := testCore(Binder{})
	_, err := c.Set(ctx, "n", "a\x00", nil, time.Minute, time.Now(), session.SetOptions{})
	assert.ErrorIs(t, err, session.ErrInvalidArgument)
	assert.ErrorContains(t, err, "test: set: ")
	_, err = c.Get(ctx, "\xff", "k")
	assert.ErrorContains(t, err, "test: get: ")
	_, err = c.Delete(ctx, "n", "", time.Now(), nil)
	assert.ErrorContains(t, err, "test: delete: ")
	_, err = c.ReadMetadata(ctx, "\xff", "a", "s", time.Now())
	assert.ErrorContains(t, err, "test: read metadata: ")
}

func TestCoreClose(t *testing.T) {
	ctx := context.Background()
	c := testCore(Binder{})
	c.StartSweeper(Settings{SweepOff: true}, nil)
	assert.True(t, c.Close())
	assert.False(t, c.Close(), "the second Close closes nothing")
	assert.True(t, c.Closed())
	_, err := c.Set(ctx, "n", "k", nil, time.Minute, time.Now(), session.SetOptions{})
	assert.ErrorIs(t, err, session.ErrClosed)
	_, err = c.Get(ctx, "n", "k")
	assert.ErrorIs(t, err, session.ErrClosed)
	_, err = c.Delete(ctx, "n", "k", time.Now(), nil)
	assert.ErrorIs(t, err, session.ErrClosed)
	_, err = c.ReadMetadata(ctx, "n", "a", "s", time.Now())
	assert.ErrorIs(t, err, session.ErrClosed)
	_, err = c.Sweep(ctx, nil)
	assert.ErrorIs(t, err, session.ErrClosed)
	assert.ErrorIs(t, c.CallError(ctx, "get", errors.New("x")), session.ErrClosed)
}

func TestCoreCallErrorAndSweep(t *testing.T) {
	c := testCore(Binder{})
	b := &backlog{rows: 3, failAt: 1}
	c.StartSweeper(Settings{Sweep: SweepConfig{Batch: 10}, SweepOff: true}, b.sweep)
	defer c.Close()
	marked := errors.New("classified")
	_, err := c.Sweep(context.Background(), func(_ context.Context, err error) error { return errors.Join(marked, err) })
	assert.ErrorIs(t, err, marked)
	assert.ErrorContains(t, err, "test: sweep: ")
	st, err := c.Sweep(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, int64(3), st.Rows)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.CallError(ctx, "get", errors.New("conn closed"))
	assert.ErrorIs(t, err, context.Canceled, "an ended context is named even when the client does not wrap it")

	te := &TimeoutError{Timeout: marked, Err: errors.New("57014")}
	assert.ErrorIs(t, te, marked)
	assert.ErrorIs(t, te, context.DeadlineExceeded)
	assert.Contains(t, te.Error(), "ReadTimeout")
	retry := func(error) bool { return true }
	assert.True(t, Again(context.Background(), te, 1, retry))
	assert.False(t, Again(context.Background(), te, MaxAttempts, retry))
	assert.False(t, Again(ctx, te, 1, retry), "not for a caller who left")
}

func TestOptions(t *testing.T) {
	parse := func(arg, name string) (Table, error) { return ParseTable(pg, arg, name) }
	l, err := Options{}.Layout(parse)
	require.NoError(t, err)
	assert.Equal(t, "sessions", l.Sessions.String())
	assert.Equal(t, "sessions_meta", l.Meta.String())
	_, err = Options{Table: "s", TableMeta: "s"}.Layout(parse)
	assert.ErrorContains(t, err, "same table")
	_, err = Options{Mode: 9}.Layout(parse)
	assert.ErrorContains(t, err, "unknown Mode 9")

	s, err := Options{SweepInterval: -1}.Settings(0, 0)
	require.NoError(t, err)
	assert.True(t, s.SweepOff)
	assert.NotNil(t, s.Clock)
	assert.Equal(t, DefaultSweepBatch, s.Sweep.Batch)
	s, err = Options{}.Settings(100, 100)
	require.NoError(t, err)
	assert.Equal(t, 100, s.MaxValueSize)
	_, err = Options{MaxValueSize: 101}.Settings(100, 100)
	assert.ErrorContains(t, err, "more than the data column holds")
	_, err = Options{SweepBatch: -1}.Settings(0, 0)
	assert.ErrorContains(t, err, "SweepBatch")
	_, err = Options{Mode: 9}.Settings(0, 0)
	assert.ErrorContains(t, err, "unknown Mode 9")
}
