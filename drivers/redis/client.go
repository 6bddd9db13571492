package redis

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// newClient builds the go-redis client s describes. go-redis constructors
// do not dial: connections are made on first use, each attempt within
// s.attemptTimeout, so New neither blocks nor fails because a server is
// down. A panic in a constructor (an option combination go-redis refuses
// that validation missed) becomes an ErrConfig error.
func newClient(s *settings) (c goredis.UniversalClient, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, configError("go-redis refused the options: %v", r)
		}
	}()
	// One set of options for the three topologies, converted by go-redis
	// (UniversalOptions.Cluster, Failover, Simple), so that a setting
	// reaches every topology alike.
	u := &goredis.UniversalOptions{
		Addrs:                 s.addrs,
		Dialer:                s.dialer(),
		Username:              s.username,
		Password:              s.pass,
		DB:                    s.database,
		MaxRetries:            s.maxRetries,
		DialTimeout:           s.attemptTimeout,
		DialerRetries:         s.attempts,
		ReadTimeout:           s.readTimeout,
		WriteTimeout:          s.sendTimeout,
		ContextTimeoutEnabled: true,
		PoolSize:              s.poolSize,
		// Callers beyond PoolSize wait this long for a connection (Backlog).
		PoolTimeout:     s.connectTimeout + s.readTimeout,
		ConnMaxIdleTime: s.keepalive,
	}
	switch s.topology {
	case cluster:
		o := u.Cluster()
		o.MaxRedirects = s.redirections
		return goredis.NewClusterClient(o), nil
	case sentinel:
		u.MasterName = s.master
		u.SentinelUsername, u.SentinelPassword = s.sentUser, s.sentP
		o := u.Failover()
		o.ReplicaOnly = s.replica
		return goredis.NewFailoverClient(o), nil
	}
	u.Addrs = []string{s.addr}
	o := u.Simple()
	o.Network = s.network
	return goredis.NewClient(o), nil
}

// dialer dials one connection within the attempt's deadline (go-redis puts
// DialTimeout on ctx), TLS handshake included. It is the one place a
// connection is made, for servers, Sentinels and Cluster nodes alike, so
// the TLS settings apply to all of them (go-redis's own TLS is then unused:
// it applies only to its default dialer). Without ServerName, a node is
// verified against the host it was dialled at.
func (s *settings) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	tlsConf := s.tls
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		if s.network == "unix" {
			network = "unix"
		}
		if tlsConf == nil {
			return d.DialContext(ctx, network, addr)
		}
		conf := tlsConf.Clone()
		if conf.ServerName == "" && network != "unix" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("redis: dial: %w", err)
			}
			conf.ServerName = host
		}
		td := tls.Dialer{NetDialer: &d, Config: conf}
		return td.DialContext(ctx, network, addr)
	}
}

// A named pool (Config.Pool) is one go-redis client shared by every Storage
// created with that name, closed with the last of them.
var (
	poolsMu sync.Mutex
	pools   = map[string]*sharedClient{}
)

type sharedClient struct {
	name   string
	key    string // the settings it was built with
	client goredis.UniversalClient
	refs   int
}

// acquireClient returns a client for s: a new one without a pool name, else
// the named pool's (built on first use). The caller releases it with
// releaseClient.
func acquireClient(name string, s *settings) (*sharedClient, error) {
	if name == "" {
		c, err := newClient(s)
		if err != nil {
			return nil, err
		}
		return &sharedClient{client: c, refs: 1}, nil
	}
	key := s.fingerprint()
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if sc, ok := pools[name]; ok {
		if sc.key != key {
			return nil, configError("Pool %q is in use with a different configuration", name)
		}
		sc.refs++
		return sc, nil
	}
	c, err := newClient(s)
	if err != nil {
		return nil, err
	}
	sc := &sharedClient{name: name, key: key, client: c, refs: 1}
	pools[name] = sc
	return sc, nil
}

// releaseClient drops one reference and closes the client with the last.
func releaseClient(sc *sharedClient) error {
	if sc.name != "" {
		poolsMu.Lock()
		sc.refs--
		last := sc.refs == 0
		if last {
			delete(pools, sc.name)
		}
		poolsMu.Unlock()
		if !last {
			return nil
		}
	}
	return sc.client.Close()
}

// fingerprint is what two Storages sharing a named pool must agree on.
func (s *settings) fingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v|%s|%s|%q|%d|%v|%v|%v|%v|%v|%d|%d|%d|%d|%d|%v|%q|%q|%q|%q|%q",
		s.topology, s.network, s.addr, s.addrs, s.database,
		s.connectTimeout, s.attemptTimeout, s.sendTimeout, s.readTimeout, s.keepalive,
		s.poolSize, s.backlog, s.attempts, s.redirections, s.maxRetries, s.replica,
		s.username, s.pass, s.sentUser, s.sentP, s.master)
	if t := s.tls; t != nil {
		fmt.Fprintf(&b, "|tls %v %q %p %d", t.InsecureSkipVerify, t.ServerName, t.RootCAs, len(t.Certificates))
		if len(t.Certificates) > 0 {
			fmt.Fprintf(&b, " %p", &t.Certificates[0])
		}
	}
	return b.String()
}

// clientPoolSize is the per-node pool size of an application's client, for
// admission; 0 when its type does not say.
func clientPoolSize(c goredis.UniversalClient) int {
	switch c := c.(type) {
	case *goredis.Client:
		return c.Options().PoolSize
	case *goredis.ClusterClient:
		return c.Options().PoolSize
	}
	return 0
}

// deadline returns how long a best-effort cleanup (the fail-closed removal
// of a session whose index write failed) may take: it runs on a detached
// context, so that a caller's cancelled ctx does not leave the session
// readable, but never longer than one connect plus one read.
func (s *settings) cleanupTimeout() time.Duration {
	if s == nil {
		return 2 * time.Second
	}
	return s.attemptTimeout + s.sendTimeout + s.readTimeout
}
