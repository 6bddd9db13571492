// Package redistest runs throwaway Redis servers in Docker containers for tests: this
// module's own, and yours when you test code built on the Redis driver. It shares one
// container core (testcontainers-go underneath) with the other drivers' helpers.
//
// One server, published on a free loopback port and removed when the test ends:
//
//	func TestLogin(t *testing.T) {
//		store := redistest.NewStorage(t, redis.Config{Prefix: "test"})
//		// ... use store as a session.Storage ...
//	}
//
// Start gives the bare server (Addr, Host, Port), with options for a password, TLS with a
// throwaway CA (WithTLS), a unix socket (WithUnixSocket) or any redis-server flag.
// Server.Stop and Server.Start stop and restart it on the same address (fault tests; the
// restarted server is empty); Server.CLI runs redis-cli inside the container.
//
// Topologies whose nodes announce their own addresses run on the host's network, each
// node on a loopback port chosen at run time (a free port whose Cluster bus port,
// port+10000, is free too and below the ephemeral range), so that several test binaries
// can run at once and no packet leaves 127.0.0.1:
//
//	cluster := redistest.StartCluster(t) // 3 masters, 1 replica each
//	store := redistest.NewStorage(t, redis.Config{Nodes: cluster.Addrs})
//
//	sentinel := redistest.StartSentinel(t) // master, replica, 3 Sentinels
//	store := redistest.NewStorage(t, redis.Config{Sentinels: sentinel.Addrs, Master: sentinel.Master})
//
// Both wait until the topology is healthy (every node cluster_state:ok and in sync;
// every Sentinel knowing the replica and its peers), so a fault test can stop a node at
// once. Run, RunCluster and RunSentinel serve a TestMain that shares one topology across
// a package; their errors satisfy Unavailable when containers cannot run here.
//
// Without a reachable Docker engine, or when the image is neither present nor pullable,
// the test is skipped with a message saying so; with SESSIONSTORE_REQUIRE_DOCKER=1 (CI)
// it fails instead. The image is "redis:7.0" unless SESSIONSTORE_REDIS_IMAGE names
// another, e.g. the local image scripts/build-redis-image.sh builds from Debian's
// redis-server where no registry is reachable. Containers carry the labels
// org.sessionstore.containertest=1 and org.sessionstore.redistest=1, for removing the
// leftovers of a killed test binary:
//
//	docker rm -f $(docker ps -aq --filter label=org.sessionstore.redistest=1)
package redistest
