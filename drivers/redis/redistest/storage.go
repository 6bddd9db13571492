package redistest

import (
	"errors"
	"testing"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// NewStorage builds a Redis Storage for the test and closes it at cleanup. When cfg names
// no server (no Host, Port, Socket, Sentinels, Nodes or Client) it first starts a server
// with Start (so it skips without Docker) and points cfg at it; otherwise it uses cfg as
// given, e.g. redis.Config{Nodes: StartCluster(t).Addrs}. An invalid cfg fails the test.
func NewStorage(t testing.TB, cfg redis.Config) *redis.Storage {
	t.Helper()
	if cfg.Host == "" && cfg.Port == 0 && cfg.Socket == "" && len(cfg.Sentinels) == 0 && len(cfg.Nodes) == 0 && cfg.Client == nil {
		srv := Start(t)
		cfg.Host, cfg.Port = srv.Host, srv.Port
	}
	s, err := redis.New(cfg)
	if err != nil {
		t.Fatalf("redistest: redis.New: %v", err)
	}
	// Registered after Start's cleanup, so it runs first: the Storage closes before its
	// server goes away.
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, session.ErrClosed) {
			t.Errorf("redistest: close storage: %v", err)
		}
	})
	return s
}
