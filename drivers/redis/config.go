package redis

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Defaults of the Config fields. Host and Port are lua-resty-session's; the
// timeouts are Go defaults (lua-resty-session inherits nginx's 60 s socket
// timeouts, far too long for a request path).
const (
	DefaultHost             = "127.0.0.1"
	DefaultPort             = 6379
	DefaultConnectTimeout   = time.Second
	DefaultSendTimeout      = time.Second
	DefaultReadTimeout      = time.Second
	DefaultKeepaliveTimeout = 60 * time.Second
	DefaultPoolSize         = 100
	DefaultBacklog          = 1024
	// DefaultMaxValueSize is lua-resty-session's own limit on session data
	// (16 MiB, its 3-byte size field), far below Redis's 512 MB
	// proto-max-bulk-len.
	DefaultMaxValueSize = 16 << 20
	// DefaultMaxConnectionAttempts is how often a connection is attempted
	// before a call fails (lua-resty-redis-cluster's default).
	DefaultMaxConnectionAttempts = 3
	// DefaultMaxRedirections is lua-resty-redis-cluster's max_redirection.
	DefaultMaxRedirections = 5
)

// Config configures a Storage. Its zero value talks to a single server at
// 127.0.0.1:6379 in clear text with the defaults above. Each field names
// the lua-resty-session option (redis_*) it maps to; see the package
// documentation for the complete mapping, including the nginx-only options.
//
// The topology follows from the fields, as in lua-resty-session: Nodes
// means a Redis Cluster, Sentinels means Sentinel, otherwise one server
// (Host/Port or Socket). Client instead hands the Storage an existing
// go-redis client, and then no connection field may be set.
type Config struct {
	// Prefix is prepended to every key as "Prefix:" (redis_prefix). Empty
	// means none.
	Prefix string
	// Suffix is appended to every key as ":Suffix" (redis_suffix). Empty
	// means none.
	Suffix string
	// HashSubject names indexes by the first 16 bytes of SHA-256 of the
	// subject instead of the subject itself (lua-resty-session's
	// hash_subject), so user ids never reach Redis in clear. Services that
	// share indexes must agree on it.
	HashSubject bool

	// Host is the server's host name or IP address (redis_host). Default
	// DefaultHost. It is resolved when a connection is made, never in New.
	Host string
	// Port is the server's TCP port (redis_port). Default DefaultPort.
	Port int
	// Socket is the path of a unix socket (redis_socket; the Lua form
	// "unix:/path" is accepted too). It wins over Host and Port.
	Socket string
	// Username and Password authenticate every new connection (redis_username,
	// redis_password; AUTH with a username is Redis 6 ACL). A Password
	// alone authenticates as the default user.
	Username string
	Password string
	// Database is the database SELECTed on every new connection
	// (redis_database). Not with Nodes: a Cluster has database 0 only.
	Database int

	// Sentinels lists the Sentinels as "host:port" (redis_sentinels); set,
	// it makes the Storage follow the master named Master.
	Sentinels []string
	// Master is the name of the master the Sentinels monitor
	// (redis_sentinel_master). Required with Sentinels.
	Master string
	// Role is "master" (the default) or "replica" ("slave" is accepted, as
	// in Lua) (redis_role). A replica Storage serves Get and ReadMetadata
	// only: Redis refuses its writes (READONLY).
	Role string
	// SentinelUsername and SentinelPassword authenticate to the Sentinels
	// (redis_sentinel_username, redis_sentinel_password).
	SentinelUsername string
	SentinelPassword string

	// Nodes lists seed nodes of a Redis Cluster as "host:port"
	// (redis_nodes); set, it makes a Cluster Storage. The client learns the
	// other nodes from them.
	Nodes []string
	// MaxRedirections is how many MOVED/ASK redirections one command may
	// follow (redis_max_redirections). Default DefaultMaxRedirections.
	MaxRedirections int

	// MaxConnectionAttempts is how many times a connection is attempted
	// before a call fails (redis_max_connection_attempts; Lua has it for a
	// Cluster, here it applies to every topology). Default
	// DefaultMaxConnectionAttempts.
	MaxConnectionAttempts int
	// MaxConnectionTimeout bounds the connection attempts together
	// (redis_max_connection_timeout): each attempt gets
	// MaxConnectionTimeout/MaxConnectionAttempts, or ConnectTimeout when
	// that is shorter. Zero means ConnectTimeout per attempt.
	MaxConnectionTimeout time.Duration

	// ConnectTimeout bounds dialing one connection, TLS handshake included
	// (redis_connect_timeout). Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// SendTimeout bounds writing one request (redis_send_timeout). Default
	// DefaultSendTimeout.
	SendTimeout time.Duration
	// ReadTimeout bounds reading one reply (redis_read_timeout). Default
	// DefaultReadTimeout.
	ReadTimeout time.Duration
	// KeepaliveTimeout is how long a pooled connection may sit idle and
	// still be reused (redis_keepalive_timeout). Default
	// DefaultKeepaliveTimeout.
	KeepaliveTimeout time.Duration

	// Pool names a connection pool (redis_pool). Storages created with the
	// same non-empty Pool share one go-redis client, which must then be
	// configured identically (same addresses, credentials, timeouts, pool
	// sizes and TLS settings); it is closed with the last of them. Empty
	// means a client of this Storage's own.
	Pool string
	// PoolSize is the largest number of connections open to one server
	// (redis_pool_size). Default DefaultPoolSize.
	PoolSize int
	// Backlog is how many calls may wait for a connection when PoolSize
	// calls are busy (redis_backlog): the Storage admits at most
	// PoolSize+Backlog calls at a time, and one beyond fails at once with an
	// error matching ErrPoolExhausted. A waiting call honours its context
	// and waits at most ConnectTimeout+ReadTimeout for a connection. On a
	// Cluster, PoolSize is per node and the bound counts the Storage's calls
	// on all nodes together. Default DefaultBacklog.
	Backlog int

	// SSL switches on TLS (redis_ssl).
	SSL bool
	// SSLInsecureSkipVerify switches off certificate verification. The Lua
	// option redis_ssl_verify defaults to off; in Go verification is ON
	// unless this is set. Requires SSL.
	SSLInsecureSkipVerify bool
	// ServerName is sent for SNI and is the name the server certificate is
	// verified against (redis_server_name). Default: the host dialled.
	// Requires SSL.
	ServerName string
	// RootCAs verifies the server certificate; nil means the system roots.
	// Go addition. Requires SSL.
	RootCAs *x509.CertPool
	// Certificates are client certificates presented to the server (Redis
	// tls-auth-clients). Go addition. Requires SSL.
	Certificates []tls.Certificate

	// MaxRetries is how many times go-redis retries a command after a
	// network error or a failover (every command this driver sends is safe
	// to repeat). Zero means go-redis's default (3); -1 means none. Go
	// addition.
	MaxRetries int
	// PromptCancel makes a call whose ctx is cancelled return at once. Without it, such
	// a call returns within one network timeout (go-redis does not interrupt a read on
	// cancellation; it does honour ctx deadlines, and cancellation while it waits for a
	// connection). It costs a goroutine per call with a cancellable ctx. Go addition.
	PromptCancel bool
	// MaxValueSize is the largest value accepted, in bytes; a larger value
	// is an error matching session.ErrTooLarge and nothing is sent. Default
	// DefaultMaxValueSize. Go addition.
	MaxValueSize int

	// Client is an existing go-redis client (*redis.Client,
	// *redis.ClusterClient, or one from redis.NewUniversalClient or
	// redis.NewFailoverClient; not a *redis.Ring, whose client-side sharding
	// would split sessions from their indexes) to use instead of building one;
	// no connection field may then be set. A *redis.ClusterClient makes a Cluster
	// Storage. The Storage does not close it unless CloseClient is set.
	// For ctx deadlines to bound reads, build it with ContextTimeoutEnabled
	// (the Storage's own clients have it). Go addition.
	Client goredis.UniversalClient
	// CloseClient makes Close close Client too. Go addition.
	CloseClient bool
}

// ErrConfig reports an invalid Config; every error New returns for one
// matches it.
var ErrConfig = errors.New("redis: invalid configuration")

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// topology is how the Storage reaches Redis.
type topology int

const (
	single topology = iota
	sentinel
	cluster
)

func (t topology) String() string {
	switch t {
	case sentinel:
		return "sentinel"
	case cluster:
		return "cluster"
	}
	return "single"
}

// settings is a validated Config with its defaults applied.
type settings struct {
	topology        topology
	network, addr   string   // single server: "tcp"/"unix" and the address
	addrs           []string // Sentinels or Nodes
	connectTimeout  time.Duration
	attemptTimeout  time.Duration // one connection attempt
	sendTimeout     time.Duration
	readTimeout     time.Duration
	keepalive       time.Duration
	poolSize        int
	backlog         int
	attempts        int
	redirections    int
	maxRetries      int
	maxValueSize    int
	replica         bool
	tls             *tls.Config // nil without SSL
	endpointHost    string
	endpointPort    int
	username, pass  string
	sentUser, sentP string
	master          string
	database        int
}

func (c *Config) settings() (*settings, error) {
	s := &settings{
		connectTimeout: c.ConnectTimeout,
		sendTimeout:    c.SendTimeout,
		readTimeout:    c.ReadTimeout,
		keepalive:      c.KeepaliveTimeout,
		poolSize:       c.PoolSize,
		backlog:        c.Backlog,
		attempts:       c.MaxConnectionAttempts,
		redirections:   c.MaxRedirections,
		maxValueSize:   c.MaxValueSize,
		maxRetries:     c.MaxRetries,
		username:       c.Username,
		pass:           c.Password,
		sentUser:       c.SentinelUsername,
		sentP:          c.SentinelPassword,
		master:         c.Master,
		database:       c.Database,
	}
	if err := s.applyDefaults(c); err != nil {
		return nil, err
	}
	if err := s.applyTopology(c); err != nil {
		return nil, err
	}
	if err := s.applyTLS(c); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *settings) applyDefaults(c *Config) error {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ConnectTimeout", &s.connectTimeout, DefaultConnectTimeout},
		{"SendTimeout", &s.sendTimeout, DefaultSendTimeout},
		{"ReadTimeout", &s.readTimeout, DefaultReadTimeout},
		{"KeepaliveTimeout", &s.keepalive, DefaultKeepaliveTimeout},
	} {
		if *d.v < 0 {
			return configError("%s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxConnectionTimeout < 0 {
		return configError("MaxConnectionTimeout must not be negative")
	}
	for _, n := range []struct {
		name string
		v    *int
		def  int
	}{
		{"PoolSize", &s.poolSize, DefaultPoolSize},
		{"Backlog", &s.backlog, DefaultBacklog},
		{"MaxValueSize", &s.maxValueSize, DefaultMaxValueSize},
		{"MaxConnectionAttempts", &s.attempts, DefaultMaxConnectionAttempts},
		{"MaxRedirections", &s.redirections, DefaultMaxRedirections},
	} {
		if *n.v < 0 {
			return configError("%s must not be negative", n.name)
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	if s.maxRetries < -1 {
		return configError("MaxRetries must be -1 (no retries), 0 (the default) or positive")
	}
	s.attemptTimeout = s.connectTimeout
	if c.MaxConnectionTimeout > 0 {
		if per := c.MaxConnectionTimeout / time.Duration(s.attempts); per < s.attemptTimeout {
			s.attemptTimeout = max(per, time.Millisecond)
		}
	}
	if c.Database < 0 {
		return configError("Database must not be negative")
	}
	if c.Port < 0 || c.Port > 65535 {
		return configError("Port must be between 0 and 65535")
	}
	return nil
}

func (s *settings) applyTopology(c *Config) error {
	switch {
	case len(c.Nodes) > 0:
		if len(c.Sentinels) > 0 {
			return configError("Nodes (a Cluster) and Sentinels are mutually exclusive")
		}
		if c.Host != "" || c.Port != 0 || c.Socket != "" {
			return configError("Nodes (a Cluster) and Host/Port/Socket are mutually exclusive")
		}
		if c.Database != 0 {
			return configError("Database must be 0 with Nodes: a Redis Cluster has database 0 only")
		}
		if c.Master != "" || c.Role != "" || c.SentinelUsername != "" || c.SentinelPassword != "" {
			return configError("Master, Role and the Sentinel credentials need Sentinels")
		}
		s.topology = cluster
		return s.setAddrs("Nodes", c.Nodes)
	case len(c.Sentinels) > 0:
		if c.Host != "" || c.Port != 0 || c.Socket != "" {
			return configError("Sentinels and Host/Port/Socket are mutually exclusive")
		}
		if c.Master == "" {
			return configError("Master (the name the Sentinels monitor) is required with Sentinels")
		}
		switch strings.ToLower(c.Role) {
		case "", "master":
		case "replica", "slave":
			s.replica = true
		default:
			return configError(`Role must be "master" or "replica"`)
		}
		s.topology = sentinel
		return s.setAddrs("Sentinels", c.Sentinels)
	}
	if c.Master != "" || c.Role != "" || c.SentinelUsername != "" || c.SentinelPassword != "" {
		return configError("Master, Role and the Sentinel credentials need Sentinels")
	}
	if c.MaxRedirections != 0 {
		return configError("MaxRedirections needs Nodes (a Cluster)")
	}
	s.topology = single
	if c.Socket != "" {
		path := strings.TrimPrefix(c.Socket, "unix:")
		if path == "" {
			return configError("Socket: empty path")
		}
		s.network, s.addr, s.endpointHost = "unix", path, path
		return nil
	}
	host, port := c.Host, c.Port
	if host == "" {
		host = DefaultHost
	}
	if port == 0 {
		port = DefaultPort
	}
	addr := net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
	h, p, err := parseHostPort(addr)
	if err != nil {
		return configError("Host: %v", err)
	}
	s.network, s.addr, s.endpointHost, s.endpointPort = "tcp", addr, h, p
	return nil
}

func (s *settings) setAddrs(field string, addrs []string) error {
	seen := make(map[string]bool, len(addrs))
	for i, a := range addrs {
		h, p, err := parseHostPort(a)
		if err != nil {
			return configError("%s[%d]: %v", field, i, err)
		}
		norm := net.JoinHostPort(h, strconv.Itoa(p))
		if seen[norm] {
			return configError("%s[%d]: listed twice", field, i)
		}
		seen[norm] = true
		s.addrs = append(s.addrs, norm)
		if i == 0 {
			s.endpointHost, s.endpointPort = h, p
		}
	}
	return nil
}

func (s *settings) applyTLS(c *Config) error {
	if !c.SSL {
		if c.SSLInsecureSkipVerify || c.ServerName != "" || c.RootCAs != nil || len(c.Certificates) > 0 {
			return configError("SSLInsecureSkipVerify, ServerName, RootCAs and Certificates require SSL")
		}
		return nil
	}
	s.tls = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.ServerName,
		RootCAs:            c.RootCAs,
		Certificates:       c.Certificates,
		InsecureSkipVerify: c.SSLInsecureSkipVerify, //nolint:gosec // explicit opt-out, documented
	}
	return nil
}

// parseHostPort parses "host:port" or "[v6]:port" without resolving the
// host.
func parseHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, errors.New(`want "host:port"`)
	}
	if host == "" {
		return "", 0, errors.New("empty host")
	}
	if strings.ContainsAny(host, " \t\r\n/") {
		return "", 0, errors.New("host contains white space or '/'")
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, errors.New("port must be a number between 1 and 65535")
	}
	return host, port, nil
}

// hasConnectionFields reports whether c sets anything that describes a
// connection, which Client excludes.
func (c *Config) hasConnectionFields() bool {
	return c.Host != "" || c.Port != 0 || c.Socket != "" || c.Username != "" || c.Password != "" ||
		c.Database != 0 || len(c.Sentinels) > 0 || c.Master != "" || c.Role != "" ||
		c.SentinelUsername != "" || c.SentinelPassword != "" || len(c.Nodes) > 0 ||
		c.MaxRedirections != 0 || c.MaxConnectionAttempts != 0 || c.MaxConnectionTimeout != 0 ||
		c.ConnectTimeout != 0 || c.SendTimeout != 0 || c.ReadTimeout != 0 || c.KeepaliveTimeout != 0 ||
		c.Pool != "" || c.PoolSize != 0 || c.SSL || c.SSLInsecureSkipVerify || c.ServerName != "" ||
		c.RootCAs != nil || len(c.Certificates) > 0 || c.MaxRetries != 0
}
