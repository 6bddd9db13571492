package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
)

// TestServeMemcached serves on a memcached in a container (skipped without
// Docker unless SESSIONSTORE_REQUIRE_DOCKER=1).
func TestServeMemcached(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a memcached container")
	}
	srv := memcachedtest.Start(t)
	base, _, stop := serveInBackground(t, []string{"-addr", "127.0.0.1:0", "-store", "memcached"},
		map[string]string{"SESSIONDEMO_MEMCACHED_SERVERS": srv.Addr})
	loginAndList(t, base)
	assert.Equal(t, 0, stop())
}
