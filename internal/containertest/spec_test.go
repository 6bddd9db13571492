package containertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
)

func TestImageResolve(t *testing.T) {
	img := Image{Env: "CONTAINERTEST_TEST_IMAGE", Default: "redis:7.0"}
	t.Setenv(img.Env, "")
	assert.Equal(t, "redis:7.0", img.Resolve())
	t.Setenv(img.Env, " sessionstore/redis:local ")
	assert.Equal(t, "sessionstore/redis:local", img.Resolve(), "the variable wins, trimmed")
	img.Name = "explicit:1"
	assert.Equal(t, "explicit:1", img.Resolve(), "an explicit name wins over the variable")
	assert.Empty(t, Image{}.Resolve())
}

func TestDriverImages(t *testing.T) {
	for _, img := range []Image{MemcachedImage, RedisImage, PostgresImage, MariaDBImage} {
		t.Setenv(img.Env, "")
		assert.NotEmpty(t, img.Resolve(), img.Env)
		assert.Regexp(t, `^SESSIONSTORE_[A-Z]+_IMAGE$`, img.Env)
		assert.Regexp(t, `^scripts/build-[a-z]+-image\.sh$`, img.BuildScript)
		assert.FileExists(t, "../../"+img.BuildScript, "the messages name a script that exists")
	}
}

func TestHowToBuild(t *testing.T) {
	msg := RedisImage.howToBuild()
	assert.Contains(t, msg, "scripts/build-redis-image.sh")
	assert.Contains(t, msg, "SESSIONSTORE_REDIS_IMAGE")
	assert.Contains(t, Image{Env: "X_IMAGE"}.howToBuild(), "X_IMAGE")
	assert.Contains(t, Image{BuildScript: "b.sh"}.howToBuild(), "b.sh")
	assert.NotEmpty(t, Image{}.howToBuild())
}

func validSpec() Spec {
	return Spec{
		Name:  "unittest",
		Image: Image{Name: "img:1"},
		Ports: []string{"6379/tcp", "16379"},
		Probe: DialProbe(),
	}
}

func TestValidate(t *testing.T) {
	ports, err := validSpec().validate()
	require.NoError(t, err)
	require.Len(t, ports, 2)
	assert.Equal(t, "6379/tcp", ports[0].String())
	assert.Equal(t, "16379/tcp", ports[1].String(), "tcp is the default protocol")

	logOnly := validSpec()
	logOnly.Probe, logOnly.Ports, logOnly.ReadyLog = nil, nil, "+monitor master"
	_, err = logOnly.validate()
	require.NoError(t, err, "a log line alone tells readiness")

	cases := map[string]func(*Spec){
		"no name":             func(s *Spec) { s.Name = "" },
		"name not a word":     func(s *Spec) { s.Name = "Redis Test" },
		"no image":            func(s *Spec) { s.Image = Image{} },
		"bad port":            func(s *Spec) { s.Ports = []string{"http"} },
		"no readiness":        func(s *Spec) { s.Probe = nil },
		"probe without port":  func(s *Spec) { s.Ports = nil },
		"relative file path":  func(s *Spec) { s.Files = []File{{Content: []byte("x"), ContainerPath: "data/x"}} },
		"file without source": func(s *Spec) { s.Files = []File{{ContainerPath: "/data/x"}} },
		"mount without host":  func(s *Spec) { s.Mounts = []Mount{{ContainerPath: "/tls"}} },
		"relative mount":      func(s *Spec) { s.Mounts = []Mount{{HostPath: "/tmp", ContainerPath: "tls"}} },
	}
	for name, mutate := range cases {
		s := validSpec()
		mutate(&s)
		_, err := s.validate()
		assert.ErrorIs(t, err, ErrInvalidSpec, name)
	}
}

func TestRunRejectsInvalidSpecBeforeDocker(t *testing.T) {
	orig := connectDocker
	t.Cleanup(func() { connectDocker = orig })
	called := false
	connectDocker = func(context.Context) (*testcontainers.DockerClient, error) {
		called = true
		return nil, ErrNoDocker
	}

	s := validSpec()
	s.Probe = nil
	_, err := Run(context.Background(), s)
	require.ErrorIs(t, err, ErrInvalidSpec)
	assert.False(t, Unavailable(err), "a spec mistake is not a reason to skip")
	assert.False(t, called, "the spec is checked before Docker is asked")
}

func TestLabels(t *testing.T) {
	s := validSpec()
	s.Name = "redistest"
	s.Labels = map[string]string{"org.sessionstore.containertest": "0", "role": "sentinel"}
	l := s.labels()
	assert.Equal(t, "1", l["org.sessionstore.containertest"], "the generic label cannot be replaced")
	assert.Equal(t, "1", l["org.sessionstore.redistest"], "per-kind label")
	assert.Equal(t, "sentinel", l["role"])
	assert.Len(t, l, 3)
}

func TestReadyTimeoutDefault(t *testing.T) {
	s := validSpec()
	assert.Equal(t, defaultReadyTimeout, s.readyTimeout())
	s.ReadyTimeout = 5e9
	assert.Equal(t, s.ReadyTimeout, s.readyTimeout())
}
