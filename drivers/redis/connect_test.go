package redis_test

import (
	"crypto/x509"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/drivers/redis/redistest"
	"github.com/sessionstore/sessionstore/session"
)

// roundTrip stores, reads and lists one session through s.
func roundTrip(t *testing.T, s *redis.Storage) error {
	t.Helper()
	ctx := t.Context()
	k := sessionKey()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	if err := s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: md}); err != nil {
		return err
	}
	v, err := s.Get(ctx, "session", k)
	if err != nil {
		return err
	}
	assert.Equal(t, "v", string(v))
	live, err := s.ReadMetadata(ctx, "session", "a", "s", time.Now())
	if err != nil {
		return err
	}
	assert.Contains(t, live, k)
	return nil
}

// TestTLS: Debian's redis-server is built with TLS. The certificate is verified by default
// (against RootCAs and ServerName); a wrong server name, or an unknown CA, is refused;
// verification is off only when asked for.
func TestTLS(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithTLS(t.TempDir()))
	base := redis.Config{Host: srv.Host, Port: srv.Port, SSL: true, ConnectTimeout: 2 * time.Second, MaxConnectionAttempts: 1}

	ok := base
	ok.RootCAs, ok.ServerName = srv.TLS.RootCAs, srv.TLS.ServerName
	require.NoError(t, roundTrip(t, newStorage(t, ok)), "a verified TLS connection")

	wrongName := ok
	wrongName.ServerName = "other.test"
	err := roundTrip(t, newStorage(t, wrongName))
	require.Error(t, err)
	var hostErr x509.HostnameError
	assert.ErrorAs(t, err, &hostErr, "a certificate for another name is refused")
	assert.ErrorIs(t, err, redis.ErrUnavailable)

	noName := base // verified against the host dialled, 127.0.0.1, which the certificate lacks
	noName.RootCAs = srv.TLS.RootCAs
	require.Error(t, roundTrip(t, newStorage(t, noName)))

	unknownCA := base // the system roots do not know the test CA
	unknownCA.ServerName = srv.TLS.ServerName
	err = roundTrip(t, newStorage(t, unknownCA))
	var authErr x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &authErr)

	insecure := base
	insecure.SSLInsecureSkipVerify = true
	require.NoError(t, roundTrip(t, newStorage(t, insecure)), "verification switched off explicitly")

	plain := redis.Config{Host: srv.Host, Port: srv.Port, ConnectTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1}
	require.Error(t, roundTrip(t, newStorage(t, plain)), "a clear-text client gets no answer from a TLS port")
}

// TestUnixSocket: Socket (and the Lua form "unix:/path") reaches a server on its unix
// socket; the Endpoint names the path.
func TestUnixSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777)) // the server runs as another user
	srv := redistest.Start(t, redistest.WithUnixSocket(dir))
	for _, socket := range []string{srv.Socket, "unix:" + srv.Socket} {
		s := newStorage(t, redis.Config{Socket: socket})
		require.NoError(t, roundTrip(t, s))
		assert.Equal(t, srv.Socket, s.Endpoint().Address)
		assert.Zero(t, s.Endpoint().Port)
	}
}

// TestACLAndDatabase: Username and Password authenticate as an ACL user (a wrong password
// is a clear error), Password alone as the default user, and Database selects the
// database every connection uses.
func TestACLAndDatabase(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithPassword("default-secret"))
	ctx := t.Context()
	admin := rawClient(t, goredis.NewClient(&goredis.Options{Addr: srv.Addr, Password: "default-secret"}))
	require.NoError(t, admin.Do(ctx, "acl", "setuser", "sessions", "on", ">user-secret", "~*", "+@all").Err())
	base := redis.Config{Host: srv.Host, Port: srv.Port}

	user := base
	user.Username, user.Password = "sessions", "user-secret"
	require.NoError(t, roundTrip(t, newStorage(t, user)), "an ACL user")

	def := base
	def.Password = "default-secret"
	require.NoError(t, roundTrip(t, newStorage(t, def)), "the default user")

	wrong := base
	wrong.Username, wrong.Password = "sessions", "not-the-password"
	err := roundTrip(t, newStorage(t, wrong))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WRONGPASS")
	assert.NotContains(t, err.Error(), "not-the-password")

	none := base
	require.Error(t, roundTrip(t, newStorage(t, none)), "no credentials: NOAUTH")

	db := user
	db.Database = 5
	db.Prefix = uniquePrefix()
	s := newStorage(t, db)
	k := sessionKey()
	require.NoError(t, s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
	in5 := rawClient(t, goredis.NewClient(&goredis.Options{Addr: srv.Addr, Password: "default-secret", DB: 5}))
	in0 := rawClient(t, goredis.NewClient(&goredis.Options{Addr: srv.Addr, Password: "default-secret"}))
	n, err := in5.Exists(ctx, s.SessionKey("session", k)).Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the session is in database 5")
	n, err = in0.Exists(ctx, s.SessionKey("session", k)).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "and not in database 0")
}

// TestSentinelReplicaRole: Role "replica" reads from the replica the Sentinels name;
// Redis refuses its writes, a clear ErrUnavailable (READONLY).
func TestSentinelReplicaRole(t *testing.T) {
	requireShared(t)
	ctx := t.Context()
	prefix := uniquePrefix()
	master := newStorage(t, redis.Config{Sentinels: sharedSentinel.Addrs, Master: sharedSentinel.Master, Prefix: prefix})
	k := sessionKey()
	require.NoError(t, master.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{}))
	primary := rawClient(t, goredis.NewClient(&goredis.Options{Addr: sharedSentinel.Primary.Addr}))
	require.NoError(t, primary.Do(ctx, "wait", 1, 5000).Err())

	replica := newStorage(t, redis.Config{Sentinels: sharedSentinel.Addrs, Master: sharedSentinel.Master, Role: "replica", Prefix: prefix})
	v, err := replica.Get(ctx, "session", k)
	require.NoError(t, err)
	assert.Equal(t, "v", string(v))
	err = replica.Set(ctx, "session", sessionKey(), []byte("v"), time.Hour, time.Now(), session.SetOptions{})
	require.ErrorIs(t, err, redis.ErrUnavailable)
	assert.Contains(t, err.Error(), "READONLY")
}
