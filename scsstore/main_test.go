package scsstore_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The Docker client of the memcached container tests keeps idle HTTP
		// connections alive; they are not this package's goroutines.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("github.com/testcontainers/testcontainers-go.(*Reaper).connect.func1"),
		// scs.New starts the cleanup goroutine of the memstore it installs
		// before an app can replace the store, and v2.9.0's StopCleanup races
		// with that goroutine's start (alexedwards/scs#231), so the tests
		// leave it running: it is scs's, one per SessionManager.
		goleak.IgnoreTopFunction("github.com/alexedwards/scs/v2/memstore.(*MemStore).startCleanup"),
	)
}
