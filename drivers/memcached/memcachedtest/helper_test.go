package memcachedtest_test

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/drivers/memcached/memcachedtest"
	"github.com/sessionstore/sessionstore/session"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// roundTrip sends one memcached text command and returns the reply up to its terminator.
func roundTrip(t *testing.T, addr, cmd string) (string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(2*time.Second)))
	if _, err := conn.Write([]byte(cmd)); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		switch strings.TrimSpace(line) {
		case "END", "STORED", "NOT_STORED", "ERROR":
			return b.String(), nil
		}
		if strings.HasPrefix(line, "VERSION ") {
			return b.String(), nil
		}
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	srv := memcachedtest.Start(t)

	assert.Equal(t, "127.0.0.1", srv.Host)
	assert.Positive(t, srv.Port)
	assert.Equal(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port)), srv.Addr)

	reply, err := roundTrip(t, srv.Addr, "set k 0 0 5\r\nhello\r\n")
	require.NoError(t, err)
	assert.Equal(t, "STORED\r\n", reply)
	reply, err = roundTrip(t, srv.Addr, "get k\r\n")
	require.NoError(t, err)
	assert.Equal(t, "VALUE k 0 5\r\nhello\r\nEND\r\n", reply)
}

func TestStartIsolatesServers(t *testing.T) {
	t.Parallel()
	a := memcachedtest.Start(t)
	b := memcachedtest.Start(t)
	require.NotEqual(t, a.Addr, b.Addr)

	_, err := roundTrip(t, a.Addr, "set only-a 0 0 1\r\nx\r\n")
	require.NoError(t, err)
	reply, err := roundTrip(t, b.Addr, "get only-a\r\n")
	require.NoError(t, err)
	assert.Equal(t, "END\r\n", reply, "a key written to one server must not appear on the other")
}

func TestWithArgs(t *testing.T) {
	t.Parallel()
	srv := memcachedtest.Start(t, memcachedtest.WithArgs("-I", "2m"))

	reply, err := roundTrip(t, srv.Addr, "stats settings\r\n")
	require.NoError(t, err)
	assert.Contains(t, reply, "STAT item_size_max 2097152\r\n")
}

func TestStopStartKeepsAddress(t *testing.T) {
	t.Parallel()
	srv := memcachedtest.Start(t)
	ctx := t.Context()
	addr := srv.Addr

	_, err := roundTrip(t, addr, "set before-stop 0 0 1\r\nx\r\n")
	require.NoError(t, err)

	require.NoError(t, srv.Stop(ctx))
	_, err = roundTrip(t, addr, "version\r\n")
	require.Error(t, err, "a stopped server must not answer")

	require.NoError(t, srv.Start(ctx))
	assert.Equal(t, addr, srv.Addr)
	reply, err := roundTrip(t, addr, "version\r\n")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(reply, "VERSION "), "reply %q", reply)
	reply, err = roundTrip(t, addr, "get before-stop\r\n")
	require.NoError(t, err)
	assert.Equal(t, "END\r\n", reply, "a restarted memcached starts empty")
}

func TestRunAndTerminate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, err := memcachedtest.Run(ctx)
	if err != nil {
		memcachedtest.Start(t) // skips (or fails under SESSIONSTORE_REQUIRE_DOCKER=1) like the other tests
		require.NoError(t, err)
	}
	_, err = roundTrip(t, srv.Addr, "version\r\n")
	require.NoError(t, err)

	require.NoError(t, srv.Terminate(ctx))
	require.NoError(t, srv.Terminate(ctx), "Terminate twice is a no-op")
	_, err = roundTrip(t, srv.Addr, "version\r\n")
	require.Error(t, err, "a terminated server must not answer")
	require.Error(t, srv.Start(ctx), "a terminated server cannot be restarted")
	require.Error(t, srv.Stop(ctx))
}

func TestBadArgsFailFast(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, err := memcachedtest.Run(ctx, memcachedtest.WithArgs("--no-such-flag"))
	if errors.Is(err, memcachedtest.ErrNoDocker) || errors.Is(err, memcachedtest.ErrNoImage) {
		memcachedtest.Start(t) // skips, or fails when Docker is required
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit")
}

const testKey = "RAbMDQ5pRkmJ1YpgkKWXN6PUT7QEYmtAPtQ0HjvfVTQ"

func TestNewStorageStartsServer(t *testing.T) {
	t.Parallel()
	store := memcachedtest.NewStorage(t, memcached.Config{Prefix: "p"})
	ctx := t.Context()

	require.NoError(t, store.Set(ctx, "session", testKey, []byte("v1"), time.Minute, time.Now(), session.SetOptions{}))
	got, err := store.Get(ctx, "session", testKey)
	require.NoError(t, err)
	assert.Equal(t, []byte("v1"), got)

	ep := store.Endpoint()
	assert.Equal(t, "127.0.0.1", ep.Address)
	assert.NotEqual(t, 11211, ep.Port, "the container is on a free port, not the default one")
}

func TestNewStorageUsesGivenServer(t *testing.T) {
	t.Parallel()
	srv := memcachedtest.Start(t)
	store := memcachedtest.NewStorage(t, memcached.Config{Prefix: "p", Servers: []string{srv.Addr}})

	require.NoError(t, store.Set(t.Context(), "session", testKey, []byte("v2"), time.Minute, time.Now(), session.SetOptions{}))
	reply, err := roundTrip(t, srv.Addr, "get p%3Asession%3A"+testKey+"\r\n")
	require.NoError(t, err)
	assert.Equal(t, "VALUE p%3Asession%3A"+testKey+" 0 2\r\nv2\r\nEND\r\n", reply, "the value is on the server given in cfg")
}

func TestNewStorageClosedAtCleanup(t *testing.T) {
	t.Parallel()
	var store *memcached.Storage
	t.Run("inner", func(t *testing.T) {
		store = memcachedtest.NewStorage(t, memcached.Config{})
	})
	if store == nil {
		t.Skip("no Docker")
	}
	_, err := store.Get(t.Context(), "session", testKey)
	require.ErrorIs(t, err, session.ErrClosed)
}
