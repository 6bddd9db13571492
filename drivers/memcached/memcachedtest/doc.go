// Package memcachedtest runs throwaway memcached servers in Docker containers for tests:
// this module's own, and yours when you test code built on the memcached driver.
//
// Start launches a container, waits until memcached answers, publishes it on a free
// loopback port (Server.Addr is "127.0.0.1:<port>") and removes it when the test ends.
// NewStorage does the same and hands back a memcached.Storage on it:
//
//	func TestLogin(t *testing.T) {
//		store := memcachedtest.NewStorage(t, memcached.Config{Prefix: "test"})
//		// ... use store as a session.Storage ...
//	}
//
// Without a reachable Docker engine, or when the image is neither present nor pullable (no
// registry access), the test is skipped with a message saying so; with
// SESSIONSTORE_REQUIRE_DOCKER=1 (CI) it fails instead. A failed pull is not retried by
// later Starts in the same test binary. The image is "memcached:1.6"
// unless SESSIONSTORE_MEMCACHED_IMAGE names another, e.g. a local image built by the
// repository's scripts/build-memcached-image.sh on machines without registry access. A
// TestMain that shares one server between tests uses Run and Server.Terminate.
//
// Fault tests: Server.Stop and Server.Start stop and restart memcached keeping the same
// host port, so a Storage built on Addr reconnects by itself; the restarted server is empty.
//
// The containers are run by the repository's container core (internal/containertest),
// which all the drivers' test helpers share. Environment handling (once per process,
// before testcontainers reads its settings):
//   - TESTCONTAINERS_HOST_OVERRIDE is set to 127.0.0.1 when it is unset and the Docker
//     daemon runs on this machine (a docker0 interface exists and DOCKER_HOST is unset or a
//     unix socket). testcontainers-go would otherwise, inside a container (/.dockerenv),
//     reach published ports through the default gateway.
//   - TESTCONTAINERS_RYUK_DISABLED is set to true unless you chose (the variable, or
//     ryuk.disabled in ~/.testcontainers.properties): the containers are removed by this
//     package, and the reaper needs an image from a registry. A test binary killed
//     mid-run can then leave a container behind, labelled org.sessionstore.memcachedtest=1
//     and org.sessionstore.containertest=1 (docker rm -f $(docker ps -aq --filter
//     label=org.sessionstore.containertest=1) removes those of every driver).
//     Set TESTCONTAINERS_RYUK_DISABLED=false to keep the reaper.
package memcachedtest
