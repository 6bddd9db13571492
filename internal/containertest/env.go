package containertest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// EnvRequireDocker set to "1" (or "true") turns every skip of Start (no Docker engine, no
// image) into a test failure; CI sets it so container tests can never be skipped silently.
const EnvRequireDocker = "SESSIONSTORE_REQUIRE_DOCKER"

// RequireDocker reports whether EnvRequireDocker asks for container tests to fail instead
// of being skipped.
func RequireDocker() bool {
	v := strings.TrimSpace(os.Getenv(EnvRequireDocker))
	return v == "1" || strings.EqualFold(v, "true")
}

var envOnce sync.Once

// prepareEnv adjusts testcontainers' environment once, before testcontainers reads it
// (its configuration is read once per process and cached).
//
//   - TESTCONTAINERS_HOST_OVERRIDE: testcontainers-go decides "am I in a container?" from
//     /.dockerenv and then reaches published ports through the default gateway. When the
//     Docker daemon runs on this very machine (a docker0 interface exists and DOCKER_HOST
//     does not point elsewhere) ports are published on loopback, so traffic must go to
//     127.0.0.1. A value the user set is kept.
//   - TESTCONTAINERS_RYUK_DISABLED: the reaper needs an image pulled from a registry, and this
//     package terminates its containers itself, so the reaper is switched off unless the user
//     chose (environment variable or ryuk.disabled in ~/.testcontainers.properties).
func prepareEnv() {
	envOnce.Do(setEnvDefaults)
}

// setEnvDefaults is prepareEnv's body, callable again by tests.
func setEnvDefaults() {
	if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !set && localDaemon() {
		_ = os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", Host)
	}
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set && !ryukChosenInProperties() {
		_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
}

// localDaemon reports whether the Docker daemon runs on this machine: it has a docker0
// interface and DOCKER_HOST is unset or a unix socket.
func localDaemon() bool {
	if _, err := net.InterfaceByName("docker0"); err != nil {
		return false
	}
	host := os.Getenv("DOCKER_HOST")
	return host == "" || strings.HasPrefix(host, "unix://")
}

// ryukChosenInProperties reports whether ~/.testcontainers.properties sets ryuk.disabled.
func ryukChosenInProperties() bool {
	home, err := os.UserHomeDir()
	if err != nil {
		return false
	}
	data, err := os.ReadFile(filepath.Join(home, ".testcontainers.properties"))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(strings.TrimSpace(line), "ryuk.disabled") {
			return true
		}
	}
	return false
}
