// Package containertest starts throwaway server containers for tests: the one core that
// the drivers' test helpers (memcachedtest, and the Redis, PostgreSQL and MariaDB ones)
// build on. It wraps testcontainers-go with what those helpers share:
//
//   - skip or fail: without a reachable Docker engine (ErrNoDocker) or without the image
//     (ErrNoImage: not present, and one bounded pull attempt failed, remembered per image
//     for the test binary), Start skips the test with a message naming the image's
//     environment variable and the script that builds a local image; with
//     SESSIONSTORE_REQUIRE_DOCKER=1 (CI) it fails instead;
//   - loopback only: every container port is published on 127.0.0.1, on a free port chosen
//     once and kept for the container's life (Stop and Start keep the address; a port taken
//     between choosing and binding is retried), or the container shares the host's network
//     and its server binds 127.0.0.1 itself. No address but 127.0.0.1 is ever used;
//   - readiness: a probe against the loopback address (a plain connect proves nothing,
//     docker-proxy accepts early) and/or a log line; an early exit is reported at once, with
//     the last lines of the container's output;
//   - labels for leftovers of a killed test binary: org.sessionstore.containertest=1 on
//     every container, and org.sessionstore.<Spec.Name>=1:
//     docker rm -f $(docker ps -aq --filter label=org.sessionstore.containertest=1)
//
// A helper describes its server once and starts it per test:
//
//	spec := containertest.Spec{
//		Name:  "redistest",
//		Image: containertest.RedisImage, // SESSIONSTORE_REDIS_IMAGE, else redis:7.0
//		Ports: []string{"6379/tcp"},
//		Cmd:   []string{"redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"},
//		Probe: containertest.RequestProbe("PING\r\n", "+PONG"),
//	}
//	c := containertest.Start(t, spec) // skips without Docker; removed at cleanup
//	client := redis.NewClient(&redis.Options{Addr: c.Addr()}) // 127.0.0.1:<port>
//
// A TestMain shares one container with Run and Container.Terminate; a test then turns
// Run's error into a skip with SkipOrFail when Unavailable(err). Fault tests use
// Container.Stop and Container.Start; Exec runs a command inside (redis-cli --cluster
// create, inspecting a Sentinel), Logs returns the output.
//
// Redis Cluster nodes and Sentinels must announce 127.0.0.1:<port> to their clients, which
// a published port cannot give: Spec.HostNetwork runs them in the host's network, on loopback
// ports the caller chooses and the server binds (--bind 127.0.0.1); they are told ready by a
// probe or by Spec.ReadyLog (a Sentinel never logs "Ready to accept connections": wait for
// "+monitor master"). Files (e.g. a Sentinel's config, mode 0666: it rewrites it) are copied
// in before the start; Mounts bind host directories (e.g. TLS certificates, mode 0755).
//
// Environment (once per process, before testcontainers reads its settings):
// TESTCONTAINERS_HOST_OVERRIDE is set to 127.0.0.1 when it is unset and the Docker daemon
// runs on this machine (a docker0 interface, DOCKER_HOST unset or a unix socket):
// testcontainers-go would otherwise, on a machine with /.dockerenv, reach published ports
// through the default gateway. TESTCONTAINERS_RYUK_DISABLED is set to true unless you chose
// (the variable, or ryuk.disabled in ~/.testcontainers.properties): the containers are
// removed by this package, and the reaper's image needs a registry.
//
// Images: the Image values name each driver's image variable, official default and build
// script (MemcachedImage, RedisImage, PostgresImage, MariaDBImage). The scripts under
// scripts/ build them FROM scratch out of the servers installed on the machine, for
// machines without registry access; see DEVELOPERS.md.
package containertest
