package redis

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
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
