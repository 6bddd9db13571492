package containertest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests in this file check that each driver's image (official, or local from its
// scripts/build-*-image.sh) starts through this package and answers. They log how long
// each took: Start to ready, and restarts.

// timedStart is Start, logging how long the container took to be ready.
func timedStart(t *testing.T, spec Spec) *Container {
	t.Helper()
	start := time.Now()
	c := Start(t, spec)
	t.Logf("%s: Start to ready in %v", c.Image(), time.Since(start).Round(time.Millisecond))
	return c
}

func TestMemcachedImage(t *testing.T) {
	t.Parallel()
	c := timedStart(t, Spec{
		Name:  "coretest",
		Image: MemcachedImage,
		Ports: []string{"11211/tcp"},
		Cmd:   []string{"-m", "16"},
		Probe: RequestProbe("version\r\n", "VERSION "),
	})
	require.NoError(t, RequestProbe("stats settings\r\n", "STAT ")(t.Context(), c.Addr()))
}

func TestRedisImage(t *testing.T) {
	t.Parallel()
	c := timedStart(t, redisSpec())
	reply, err := redis(c.Addr(), "INFO", "server")
	require.NoError(t, err)
	assert.Contains(t, reply, "redis_version:7.0", "Redis 7.0")
	out, err := c.Exec(t.Context(), "redis-cli", "--version")
	require.NoError(t, err, "redis-cli is in the image (cluster creation)")
	assert.Contains(t, out, "redis-cli 7.0")
}

// TestRedisSentinel: a master and a Sentinel on the host network (Sentinels announce the
// addresses they see), the Sentinel's config copied in before start and told ready by its
// log line: the recipe the Redis helper builds on.
func TestRedisSentinel(t *testing.T) {
	t.Parallel()
	pm, err := FreePort()
	require.NoError(t, err)
	ps, err := FreePort()
	require.NoError(t, err)
	master := Spec{
		Name:        "coretest",
		Image:       RedisImage,
		HostNetwork: true,
		Ports:       []string{strconv.Itoa(pm)},
		Cmd:         []string{"redis-server", "--port", strconv.Itoa(pm), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"},
		Probe:       RequestProbe("PING\r\n", "+PONG"),
	}
	timedStart(t, master)

	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir /tmp\nsentinel monitor mymaster 127.0.0.1 %d 1\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 3000\n", ps, pm)
	sentinel := Spec{
		Name:        "coretest",
		Image:       RedisImage,
		HostNetwork: true,
		Ports:       []string{strconv.Itoa(ps)},
		Cmd:         []string{"redis-sentinel", "/data/sentinel.conf"},
		Files:       []File{{ContainerPath: "/data/sentinel.conf", Content: []byte(conf), Mode: 0o666}},
		ReadyLog:    "+monitor master mymaster",
		Labels:      map[string]string{"org.sessionstore.coretest.role": "sentinel"},
	}
	s := timedStart(t, sentinel)

	reply, err := redis(s.Addr(), "SENTINEL", "get-master-addr-by-name", "mymaster")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("127.0.0.1 %d", pm), reply)
	out, err := s.Exec(t.Context(), "cat", "/data/sentinel.conf")
	require.NoError(t, err)
	assert.Contains(t, out, "sentinel myid", "the Sentinel rewrote its config file (needs mode 0666 and /data 0777)")
}

func postgresSpec() Spec {
	return Spec{
		Name:  "coretest",
		Image: PostgresImage,
		Ports: []string{"5432/tcp"},
		Probe: PostgresProbe("postgres", "postgres"),
	}
}

// psql runs sql with the host's psql against the container, or skips when there is none.
func psql(t *testing.T, c *Container, sql string) string {
	t.Helper()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("psql not installed (apt-get install postgresql-client-15); the probe's SELECT 1 passed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", Host, "-p", strconv.Itoa(c.Port()), "-U", "postgres", "-d", "postgres", "-c", sql).CombinedOutput()
	require.NoError(t, err, "psql: %s", out)
	return strings.TrimSpace(string(out))
}

func TestPostgresImage(t *testing.T) {
	t.Parallel()
	c := timedStart(t, postgresSpec())
	assert.Equal(t, "1", psql(t, c, "SELECT 1"))
	assert.Equal(t, "postgres|postgres|UTF8|UTC", psql(t, c, "SELECT current_user, current_database(), pg_encoding_to_char(encoding), current_setting('TimeZone') FROM pg_database WHERE datname = current_database()"))
	assert.True(t, strings.HasPrefix(psql(t, c, "SHOW server_version"), "15."))

	// Data survive a restart (STOPSIGNAL SIGINT: a fast, clean shutdown), on the same port.
	psql(t, c, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
	start := time.Now()
	require.NoError(t, c.Stop(t.Context()))
	stopped := time.Since(start)
	require.NoError(t, c.Start(t.Context()))
	t.Logf("postgres: stop %v, start to SELECT 1 %v", stopped.Round(time.Millisecond), (time.Since(start) - stopped).Round(time.Millisecond))
	assert.Less(t, stopped, 5*time.Second, "SIGINT stops postgres at once (SIGTERM would wait for clients, then be killed)")
	assert.Equal(t, "42", psql(t, c, "SELECT v FROM kept"))
	logs, err := c.Logs(t.Context())
	require.NoError(t, err)
	assert.NotContains(t, logs, "was interrupted", "no crash recovery after the restart")
}

func mariadbSpec() Spec {
	return Spec{
		Name:  "coretest",
		Image: MariaDBImage,
		Ports: []string{"3306/tcp"},
		Probe: MySQLProbe("root", "", ""),
	}
}

// mariadb runs sql with the host's client as test/test on database test, or skips.
func mariadb(t *testing.T, c *Container, sql string) string {
	t.Helper()
	client, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("mariadb client not installed (apt-get install mariadb-client); the probes' SELECT 1 passed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, client, "--no-defaults", "--protocol=TCP", "-h", Host, "-P", strconv.Itoa(c.Port()),
		"-u", "test", "-ptest", "-D", "test", "-N", "-B", "-e", sql).CombinedOutput()
	require.NoError(t, err, "mariadb: %s", out)
	return strings.TrimSpace(string(out))
}

func TestMariaDBImage(t *testing.T) {
	t.Parallel()
	c := timedStart(t, mariadbSpec())
	ctx := t.Context()
	require.NoError(t, MySQLProbe("test", "test", "test")(ctx, c.Addr()), "test/test on database test is baked in")
	err := MySQLProbe("test", "wrong", "test")(ctx, c.Addr())
	require.ErrorContains(t, err, "1045", "a wrong password is refused: the probe's scramble is checked for real")

	assert.Equal(t, "1", mariadb(t, c, "SELECT 1"))
	assert.Equal(t, "utf8mb4\tutf8mb4_general_ci", mariadb(t, c, "SELECT @@character_set_database, @@collation_database"))
	assert.Contains(t, mariadb(t, c, "SELECT VERSION()"), "10.11.")

	mariadb(t, c, "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (42)")
	start := time.Now()
	require.NoError(t, c.Stop(ctx))
	stopped := time.Since(start)
	require.NoError(t, c.Start(ctx))
	t.Logf("mariadb: stop %v, start to SELECT 1 %v", stopped.Round(time.Millisecond), (time.Since(start) - stopped).Round(time.Millisecond))
	assert.Equal(t, "42", mariadb(t, c, "SELECT v FROM kept"), "data survive a restart")
}
