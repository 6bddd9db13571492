package containertest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRequireDocker(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "no": false, "1": true, "true": true, "TRUE": true, " 1 ": true} {
		t.Setenv(EnvRequireDocker, v)
		assert.Equal(t, want, RequireDocker(), "value %q", v)
	}
}

func TestLocalDaemonRespectsDockerHost(t *testing.T) {
	if _, err := net.InterfaceByName("docker0"); err != nil {
		t.Setenv("DOCKER_HOST", "")
		assert.False(t, localDaemon(), "without docker0 the daemon is not assumed local")
		return
	}
	cases := map[string]bool{"": true, "unix:///var/run/docker.sock": true, "tcp://10.0.0.5:2376": false, "ssh://host": false}
	for host, want := range cases {
		t.Setenv("DOCKER_HOST", host)
		assert.Equal(t, want, localDaemon(), "DOCKER_HOST=%q", host)
	}
}

// unsetEnv removes key for the test and restores it afterwards.
func unsetEnv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // registers the restore
	_ = os.Unsetenv(key)
}

func TestSetEnvDefaults(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ~/.testcontainers.properties

	t.Run("keeps what the user set", func(t *testing.T) {
		t.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "192.0.2.1")
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "false")
		setEnvDefaults()
		assert.Equal(t, "192.0.2.1", os.Getenv("TESTCONTAINERS_HOST_OVERRIDE"))
		assert.Equal(t, "false", os.Getenv("TESTCONTAINERS_RYUK_DISABLED"))
	})

	t.Run("fills in unset values", func(t *testing.T) {
		unsetEnv(t, "TESTCONTAINERS_HOST_OVERRIDE")
		unsetEnv(t, "TESTCONTAINERS_RYUK_DISABLED")
		setEnvDefaults()
		assert.Equal(t, "true", os.Getenv("TESTCONTAINERS_RYUK_DISABLED"), "the reaper needs a registry: off unless chosen")
		host, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE")
		if localDaemon() {
			assert.Equal(t, Host, host, "a local daemon publishes on loopback")
		} else {
			assert.False(t, set, "a remote daemon is left to testcontainers' own detection")
		}
	})

	t.Run("ryuk chosen in the properties file", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		assert.NoError(t, os.WriteFile(filepath.Join(home, ".testcontainers.properties"), []byte("docker.host=unix:///x\n  ryuk.disabled=false\n"), 0o600))
		unsetEnv(t, "TESTCONTAINERS_RYUK_DISABLED")
		setEnvDefaults()
		_, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED")
		assert.False(t, set, "the properties file's choice is left alone")
	})
}
