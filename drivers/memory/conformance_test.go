package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

func TestConformance(t *testing.T) {
	t.Run("hashes=seeded", func(t *testing.T) { runConformance(t) })
	// Every key colliding with others must not change any answer.
	t.Run("hashes=colliding", func(t *testing.T) { runConformance(t, memory.WithCollidingHashes()) })
}

func runConformance(t *testing.T, opts ...memory.Option) {
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
			// A short sweep interval lets the sweeper race every case.
			s := memory.New(append([]memory.Option{memory.WithClock(now), memory.WithSweepInterval(time.Millisecond)}, opts...)...)
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			return s
		},
		FakeClock: true,
		Capabilities: conformance.Capabilities{
			IndexSize: func(_ context.Context, s session.Storage, name, audience, subject string) (int, error) {
				m, ok := s.(*memory.Store)
				if !ok {
					return 0, fmt.Errorf("not a *memory.Store: %T", s)
				}
				return memory.IndexBytes(m, name, audience, subject), nil
			},
		},
	})
}
