package memcachedtest

import (
	"errors"
	"testing"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// NewStorage builds a memcached Storage for the test and closes it at cleanup. When cfg
// names no server (Host, Port, Socket and Servers all unset) it first starts a memcached
// container with Start (so it skips without Docker, see Start) and points cfg at it;
// otherwise it uses cfg as given. An invalid cfg fails the test.
func NewStorage(t testing.TB, cfg memcached.Config) *memcached.Storage {
	t.Helper()
	if cfg.Host == "" && cfg.Port == 0 && cfg.Socket == "" && len(cfg.Servers) == 0 {
		srv := Start(t)
		cfg.Host, cfg.Port = srv.Host, srv.Port
	}
	s, err := memcached.New(cfg)
	if err != nil {
		t.Fatalf("memcachedtest: memcached.New: %v", err)
	}
	// Registered after Start's cleanup, so it runs first: the Storage closes before its
	// container goes away.
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, session.ErrClosed) {
			t.Errorf("memcachedtest: close storage: %v", err)
		}
	})
	return s
}
