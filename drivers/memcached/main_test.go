package memcached_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
)

var b64 = base64.RawURLEncoding

// shared is the memcached container every container-backed test uses, each
// with its own key prefix; nil when it could not start (sharedErr says why).
var (
	shared    *memcachedtest.Server
	sharedErr error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	shared, sharedErr = memcachedtest.Run(ctx)
	cancel()
	code := m.Run()
	if shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := shared.Terminate(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
		cancel()
	}
	if code == 0 {
		// Docker's client keeps idle HTTP connections alive; they are not
		// this package's goroutines.
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreAnyFunction("github.com/testcontainers/testcontainers-go.(*Reaper).connect.func1"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// sharedServer returns the shared container's address, or skips (fails
// with SESSIONSTORE_REQUIRE_DOCKER=1) when there is none.
func sharedServer(t testing.TB) string {
	t.Helper()
	if shared == nil {
		v := os.Getenv(memcachedtest.EnvRequireDocker)
		unavailable := errors.Is(sharedErr, memcachedtest.ErrNoDocker) || errors.Is(sharedErr, memcachedtest.ErrNoImage)
		if v == "1" || strings.EqualFold(v, "true") || !unavailable {
			t.Fatalf("memcached container: %v", sharedErr)
		}
		t.Skipf("memcached container unavailable: %v (set %s=1 to fail instead)", sharedErr, memcachedtest.EnvRequireDocker)
	}
	return shared.Addr
}

var prefixSeq atomic.Int64

// uniquePrefix isolates a test's keys on the shared server.
func uniquePrefix(t testing.TB) string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("t%d-%x", prefixSeq.Add(1), r)
}

// newShared returns a Storage on the shared container with a unique prefix
// (unless cfg has one), closed at cleanup.
func newShared(t testing.TB, cfg memcached.Config) *memcached.Storage {
	t.Helper()
	cfg.Servers = []string{sharedServer(t)}
	if cfg.Prefix == "" {
		cfg.Prefix = uniquePrefix(t)
	}
	// Generous timeouts: the machine running the tests may be busy, and no
	// test on the shared server is about timeouts.
	for _, d := range []*time.Duration{&cfg.ConnectTimeout, &cfg.SendTimeout, &cfg.ReadTimeout} {
		if *d == 0 {
			*d = 5 * time.Second
		}
	}
	s, err := memcached.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// sessionKey returns a fresh 43-character base64url key, as
// lua-resty-session makes them.
func sessionKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

// localMemcached runs the memcached binary on this machine (for TLS, unix
// sockets and benchmarks), stopped by its process at cleanup. It returns
// the network and address to reach it, or skips when there is no binary.
func localMemcached(t testing.TB, socket bool, args ...string) (network, addr string) {
	t.Helper()
	bin, err := exec.LookPath("memcached")
	if err != nil {
		t.Skip("the memcached binary is not installed; skipping a test that needs a local server")
	}
	if socket {
		network, addr = "unix", filepath.Join(t.TempDir(), "mc.sock")
		args = append(args, "-s", addr)
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		require.NoError(t, l.Close())
		network, addr = "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		args = append(args, "-l", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "0")
	}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	cmd := exec.Command(bin, args...)
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout(network, addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return network, addr
		}
		select {
		case <-done:
			t.Fatalf("memcached exited early: %v", cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("memcached did not start on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
