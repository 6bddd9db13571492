package memcached_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

func TestConformance(t *testing.T) {
	mc := raw(t, sharedServer(t))
	indexKey := func(s session.Storage, name, audience, subject string) (string, error) {
		ms, ok := s.(*memcached.Storage)
		if !ok {
			return "", fmt.Errorf("not a *memcached.Storage: %T", s)
		}
		return ms.WireIndexKey(name, audience, subject), nil
	}
	conformance.Run(t, conformance.Harness{
		NewStorage: func(t *testing.T, _ func() time.Time) session.Storage {
			return newShared(t, memcached.Config{})
		},
		FakeClock: false,
		Capabilities: conformance.Capabilities{
			MaxValueSize:   memcached.DefaultMaxValueSize,
			StaleMayExtend: true,
			IndexSize: func(_ context.Context, s session.Storage, name, audience, subject string) (int, error) {
				ik, err := indexKey(s, name, audience, subject)
				if err != nil {
					return 0, err
				}
				item, _ := mc.Get(ik)
				return len(item), nil
			},
		},
		// A torn write of another writer: bytes no parser reads, without
		// a closing ';'.
		DamageIndex: func(_ context.Context, s session.Storage, name, audience, subject string) error {
			ik, err := indexKey(s, name, audience, subject)
			if err != nil {
				return err
			}
			if answer := mc.Append(ik, []byte("\xff\xfetorn:EP9")); answer != "STORED" {
				return fmt.Errorf("append to the index: %s", answer)
			}
			return nil
		},
	})
}
