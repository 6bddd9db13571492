package memory_test

import (
	"cmp"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// model is the Storage contract for one cookie name and one (audience,
// subject) pair, written as plainly as possible, with the Store's clock and
// the caller's now being the same clock.
type model struct {
	items map[string]modelItem
	index map[string]int64 // key → expiry, Unix seconds
}

type modelItem struct {
	val string
	exp time.Time
}

// FuzzAgainstModel runs random operation sequences against a Store and the
// model and compares every answer, with sweeps thrown in (they must not
// change what anyone sees).
func FuzzAgainstModel(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 1, 0, 0, 0, 4, 9, 0, 0, 2, 0, 0, 0, 3, 1, 0, 0})
	f.Add([]byte{0x20, 0x0f, 0x11, 0xff, 0x30, 0x21, 0x05, 0x83, 4, 30, 0, 0, 1, 1, 0, 0, 3, 0, 0, 0})
	f.Add([]byte{0, 0x47, 0x00, 0x00, 0, 0x13, 0xc0, 0x00, 5, 0, 0, 0, 4, 200, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		runModel(t, ops)
		runModel(t, ops, memory.WithCollidingHashes())
	})
}

func runModel(t *testing.T, ops []byte, opts ...memory.Option) {
	// 64 operations find what longer runs find, and keep each run (and
	// the minimisation of new inputs) short.
	ops = ops[:min(len(ops), 256)]
	ctx := context.Background()
	c := driver.NewManualClock(time.Unix(1700000000, 0))
	s := memory.New(append([]memory.Option{memory.WithClock(c.Now), memory.WithSweepInterval(0)}, opts...)...)
	defer s.Close()
	m := model{items: map[string]modelItem{}, index: map[string]int64{}}
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	keys := []string{"k0", "k1", "k2", "k3"}

	for i := 0; i+3 < len(ops); i += 4 {
		op, a, b, x := ops[i]%6, ops[i+1], ops[i+2], ops[i+3]
		k := keys[a%4]
		now := c.Now()
		switch op {
		case 0: // Set, maybe rotating, maybe with metadata
			ttl := time.Duration(1+a>>2%8) * 500 * time.Millisecond
			var opts session.SetOptions
			if old := keys[b%4]; b&0x04 != 0 && old != k {
				opts.OldKey = old
				opts.StaleTTL = time.Duration(b>>3%4) * 500 * time.Millisecond
				opts.Remember = b&0x20 != 0
			}
			withMD := b&0x40 != 0
			if withMD {
				opts.Metadata = md
			}
			val := fmt.Sprint(x)
			require.NoError(t, s.Set(ctx, "session", k, []byte(val), ttl, now, opts))

			m.items[k] = modelItem{val: val, exp: now.Add(ttl)}
			if opts.OldKey != "" {
				if opts.Remember {
					delete(m.items, opts.OldKey)
				} else if it, ok := m.items[opts.OldKey]; ok {
					if stale := now.Add(cmp.Or(opts.StaleTTL, session.DefaultStaleTTL)); stale.Before(it.exp) {
						it.exp = stale
						m.items[opts.OldKey] = it
					}
				}
			}
			if withMD {
				m.index[k] = driver.ExpiryUnix(now, ttl)
				if opts.OldKey != "" {
					delete(m.index, opts.OldKey)
				}
			}
		case 1: // Get
			got, err := s.Get(ctx, "session", k)
			if it, ok := m.items[k]; ok && now.Before(it.exp) {
				require.NoError(t, err, "op %d", i/4)
				require.Equal(t, it.val, string(got), "op %d", i/4)
			} else {
				require.ErrorIs(t, err, session.ErrNotFound, "op %d", i/4)
			}
		case 2: // Delete
			withMD := b&1 != 0
			var pairs []session.Pair
			if withMD {
				pairs = md
			}
			require.NoError(t, s.Delete(ctx, "session", k, now, pairs))
			delete(m.items, k)
			if withMD {
				delete(m.index, k)
			}
		case 3: // ReadMetadata
			live, err := s.ReadMetadata(ctx, "session", "a", "s", now)
			require.NoError(t, err)
			want := map[string]time.Time{}
			for key, exp := range m.index {
				if exp > now.Unix() {
					want[key] = time.Unix(exp, 0)
				}
			}
			require.Equal(t, want, live, "op %d", i/4)
		case 4: // time passes
			c.Advance(time.Duration(a) * 100 * time.Millisecond)
		case 5:
			memory.Sweep(s)
		}
	}
	live := 0
	for _, it := range m.items {
		if c.Now().Before(it.exp) {
			live++
		}
	}
	memory.Sweep(s)
	require.Equal(t, live, s.Len(), "after a sweep, Len counts the live sessions")
}
