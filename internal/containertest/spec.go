package containertest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/moby/moby/api/types/network"
)

// Host is the only address containers are reached on: ports are published on the loopback
// interface, and servers on the host network must bind it. Test traffic never leaves it.
const Host = "127.0.0.1"

// ErrInvalidSpec reports a Spec that cannot describe a container (see Spec.validate).
var ErrInvalidSpec = errors.New("containertest: invalid spec")

// ProbeFunc tells whether the server in a container is ready, by talking to it on addr
// ("127.0.0.1:<port>"). It returns nil when ready. It is called again and again (with a
// pause, each call with its own deadline in ctx) until it succeeds, the container exits or
// the readiness time runs out; its last error goes into the one Start returns. A plain TCP
// connect is not proof of readiness on a published port: docker-proxy accepts connections
// before the server listens. See RequestProbe, PostgresProbe and MySQLProbe.
type ProbeFunc func(ctx context.Context, addr string) error

// Spec describes a container for Start and Run. The zero values of the optional fields mean
// "none"; Name, an image, and a way to tell readiness (Probe or ReadyLog) are required.
type Spec struct {
	// Name names the helper that starts the container, as a lower-case word such as
	// "memcachedtest" or "redistest". It prefixes messages and gives the per-kind label
	// org.sessionstore.<Name>=1 (beside org.sessionstore.containertest=1).
	Name string

	// Image says which image to run and, when it is missing, how to get one.
	Image Image

	// Ports lists the container ports the server listens on, as "6379/tcp" or "6379".
	// Without HostNetwork each is published on a free port of 127.0.0.1, chosen once: the
	// host port stays the container's for its whole life, so Stop and Start keep the
	// address. With HostNetwork they are ports of the host itself (see HostNetwork).
	// The first one is where Probe runs and what Container.Addr names.
	Ports []string

	// HostNetwork runs the container in the host's network namespace (--network host), for
	// servers that must announce 127.0.0.1:<port> to their clients (Redis Cluster nodes,
	// Sentinels). Nothing is published then: the caller chooses free loopback ports, passes
	// them in Ports and makes the server listen on 127.0.0.1 only (e.g. --bind 127.0.0.1).
	// A port taken meanwhile makes the server exit, and Start fails (no retry).
	HostNetwork bool

	// Cmd replaces the image's command (CMD), e.g. {"redis-server", "--port", "6379"}.
	Cmd []string

	// Env adds environment variables.
	Env map[string]string

	// Files are copied into the container after it is created and before it starts.
	Files []File

	// Mounts are bind mounts of host paths (e.g. a directory of TLS certificates; the
	// server's user inside must be able to read it, so mind the modes).
	Mounts []Mount

	// Probe, when set, must succeed against 127.0.0.1:<first port> before the container
	// counts as ready, after every start.
	Probe ProbeFunc

	// ReadyLog, when set, must appear in the container's output (a substring of a line)
	// before the container counts as ready: after Container.Start, a new occurrence. For
	// servers with nothing to probe yet, e.g. a Sentinel ("+monitor master").
	ReadyLog string

	// ReadyTimeout bounds the wait for readiness after each start; zero means 60 s.
	ReadyTimeout time.Duration

	// Labels are added to the container's labels (the two fixed ones cannot be replaced).
	Labels map[string]string
}

// File is a file to copy into the container before it starts.
type File struct {
	// Content is the file's content; when nil, HostPath is read instead.
	Content []byte
	// HostPath is a file on this machine to copy when Content is nil.
	HostPath string
	// ContainerPath is the absolute path inside the container. Missing parent directories
	// are created.
	ContainerPath string
	// Mode is the file's permission bits, e.g. 0o666 for a config file the server rewrites
	// (files are owned by root). Zero means 0o644.
	Mode fs.FileMode
}

// Mount is a bind mount of a host directory or file into the container.
type Mount struct {
	HostPath      string // absolute, or relative to the working directory
	ContainerPath string // absolute
	ReadOnly      bool
}

// Image names the image a Spec runs, and the way to get one where no registry is reachable.
type Image struct {
	// Name is the image to run. When empty: the value of Env when set, else Default.
	Name string
	// Env is the environment variable that overrides Default, e.g. SESSIONSTORE_REDIS_IMAGE.
	Env string
	// Default is the official image used when Env is unset, e.g. "redis:7.0".
	Default string
	// BuildScript is the repository's script that builds a local image, e.g.
	// "scripts/build-redis-image.sh"; the messages for a missing image name it.
	BuildScript string
}

// The images of the repository's drivers. The Env variables are the ones CI exports.
var (
	MemcachedImage = Image{Env: "SESSIONSTORE_MEMCACHED_IMAGE", Default: "memcached:1.6", BuildScript: "scripts/build-memcached-image.sh"}
	RedisImage     = Image{Env: "SESSIONSTORE_REDIS_IMAGE", Default: "redis:7.0", BuildScript: "scripts/build-redis-image.sh"}
	PostgresImage  = Image{Env: "SESSIONSTORE_POSTGRES_IMAGE", Default: "postgres:15", BuildScript: "scripts/build-postgres-image.sh"}
	MariaDBImage   = Image{Env: "SESSIONSTORE_MARIADB_IMAGE", Default: "mariadb:10.11", BuildScript: "scripts/build-mariadb-image.sh"}
)

// Resolve returns the image to run: Name, else the (trimmed) value of Env, else Default.
func (i Image) Resolve() string {
	if i.Name != "" {
		return i.Name
	}
	if i.Env != "" {
		if v := strings.TrimSpace(os.Getenv(i.Env)); v != "" {
			return v
		}
	}
	return i.Default
}

// howToBuild says how to get a local image, for the skip and failure messages.
func (i Image) howToBuild() string {
	switch {
	case i.BuildScript != "" && i.Env != "":
		return fmt.Sprintf("without registry access build a local image with %s and set %s to its tag", i.BuildScript, i.Env)
	case i.Env != "":
		return fmt.Sprintf("set %s to an image that is present", i.Env)
	case i.BuildScript != "":
		return fmt.Sprintf("build a local image with %s", i.BuildScript)
	}
	return "use an image that is present"
}

const defaultReadyTimeout = 60 * time.Second

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// validate checks what Docker would otherwise reject late or obscurely, and that the
// container can be told ready. It returns the parsed ports.
func (s Spec) validate() ([]network.Port, error) {
	if !namePattern.MatchString(s.Name) {
		return nil, fmt.Errorf("%w: Name %q must be a lower-case word (it makes a label)", ErrInvalidSpec, s.Name)
	}
	if s.Image.Resolve() == "" {
		return nil, fmt.Errorf("%w: %s: no image (Image.Name, Image.Env and Image.Default are empty)", ErrInvalidSpec, s.Name)
	}
	ports := make([]network.Port, 0, len(s.Ports))
	for _, p := range s.Ports {
		port, err := network.ParsePort(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: port %q: %v", ErrInvalidSpec, s.Name, p, err)
		}
		ports = append(ports, port)
	}
	if s.Probe == nil && s.ReadyLog == "" {
		return nil, fmt.Errorf("%w: %s: neither Probe nor ReadyLog: readiness could not be told", ErrInvalidSpec, s.Name)
	}
	if s.Probe != nil && len(ports) == 0 {
		return nil, fmt.Errorf("%w: %s: Probe needs a port (Ports is empty)", ErrInvalidSpec, s.Name)
	}
	for _, f := range s.Files {
		if !filepath.IsAbs(f.ContainerPath) {
			return nil, fmt.Errorf("%w: %s: file path %q in the container must be absolute", ErrInvalidSpec, s.Name, f.ContainerPath)
		}
		if f.Content == nil && f.HostPath == "" {
			return nil, fmt.Errorf("%w: %s: file %q has neither Content nor HostPath", ErrInvalidSpec, s.Name, f.ContainerPath)
		}
	}
	for _, m := range s.Mounts {
		if m.HostPath == "" || !filepath.IsAbs(m.ContainerPath) {
			return nil, fmt.Errorf("%w: %s: mount %q → %q needs a host path and an absolute container path", ErrInvalidSpec, s.Name, m.HostPath, m.ContainerPath)
		}
	}
	return ports, nil
}

func (s Spec) readyTimeout() time.Duration {
	if s.ReadyTimeout > 0 {
		return s.ReadyTimeout
	}
	return defaultReadyTimeout
}

// Labels every container of this package carries, for finding leftovers of a killed test
// binary: docker rm -f $(docker ps -aq --filter label=org.sessionstore.containertest=1).
const (
	LabelAll    = "org.sessionstore.containertest"
	labelPrefix = "org.sessionstore."
)

// labels returns the container's labels: the caller's, then the generic and per-kind ones.
func (s Spec) labels() map[string]string {
	l := make(map[string]string, len(s.Labels)+2)
	for k, v := range s.Labels {
		l[k] = v
	}
	l[LabelAll] = "1"
	l[labelPrefix+s.Name] = "1"
	return l
}
