// Package pgtest runs throwaway PostgreSQL servers in Docker containers for
// tests: this module's own, and yours when you test code built on the
// PostgreSQL session driver.
//
// Start launches a container, waits until PostgreSQL answers SELECT 1,
// publishes it on a free loopback port (Server.ConnString) and removes it
// when the test ends. Server.NewStorage hands back a postgres.Storage whose
// tables live in a database schema of the test's own (created, and dropped
// at cleanup), so many tests can share one server; NewStorage does both for
// a single test:
//
//	func TestLogin(t *testing.T) {
//		store := pgtest.NewStorage(t, postgres.Config{Mode: postgres.LuaTables})
//		// ... use store as a session.Storage ...
//	}
//
// A TestMain that shares one server between tests uses Run and
// Server.Terminate, and SkipOrFail in the tests when Run could not start
// one. Fault tests: Server.Stop and Server.Start stop and restart
// PostgreSQL on the same port, keeping its data.
//
// Without a reachable Docker engine, or when the image is neither present
// nor pullable (no registry access), the test is skipped with a message
// saying so; with SESSIONSTORE_REQUIRE_DOCKER=1 (CI) it fails instead. The
// image is "postgres:15" unless SESSIONSTORE_POSTGRES_IMAGE names another,
// e.g. the local image the repository's scripts/build-postgres-image.sh
// builds from Debian's postgresql-15 on machines without registry access.
// Both are reached as user postgres, database postgres, without a password.
//
// The containers are run by the repository's container core
// (internal/containertest), shared by all the drivers' test helpers; it
// sets TESTCONTAINERS_HOST_OVERRIDE and TESTCONTAINERS_RYUK_DISABLED as
// DEVELOPERS.md explains. Leftovers of a killed test binary are labelled
// org.sessionstore.pgtest=1 and org.sessionstore.containertest=1.
package pgtest
