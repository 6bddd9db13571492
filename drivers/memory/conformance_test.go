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
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
			// A short sweep interval lets the sweeper race every case.
			s := memory.New(memory.WithClock(now), memory.WithSweepInterval(time.Millisecond))
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
