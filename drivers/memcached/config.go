package memcached

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Defaults of the Config fields. Host and Port are lua-resty-session's; the
// rest are Go defaults (lua-resty-session inherits nginx's 60 s socket
// timeouts, which are far too long for a request path).
const (
	DefaultHost             = "127.0.0.1"
	DefaultPort             = 11211
	DefaultConnectTimeout   = time.Second
	DefaultSendTimeout      = time.Second
	DefaultReadTimeout      = time.Second
	DefaultKeepaliveTimeout = 60 * time.Second
	DefaultPoolSize         = 100
	DefaultBacklog          = 1024
	// DefaultMaxValueSize is the largest value that fits memcached's default
	// 1 MiB item together with a 250-byte key and the item header.
	DefaultMaxValueSize = 1<<20 - 1024
	// MaxKeyLength is memcached's limit on a key, in bytes, after escaping.
	MaxKeyLength = 250
)

// Config configures a Storage. The zero value talks to 127.0.0.1:11211 in
// clear text with the defaults above. Each field names the lua-resty-session
// option (memcached_*) it maps to.
//
// Storages that name the same Pool share its connections and must agree on
// every field but the ones that only shape this Storage's items: Prefix,
// Suffix, HashSubject and MaxValueSize.
type Config struct {
	// Prefix is prepended to every key as "Prefix:" (memcached_prefix).
	// Empty means none.
	Prefix string
	// Suffix is appended to every key as ":Suffix" (memcached_suffix).
	// Empty means none.
	Suffix string
	// HashSubject names index items by a hash of the subject instead of the
	// subject (lua-resty-session's hash_subject): base64url of the first 16
	// bytes of its SHA-256, so that user ids never reach memcached in clear.
	// Services sharing indexes must agree on it. Go addition.
	HashSubject bool

	// Host is the server's host name or IP address (memcached_host).
	// Default DefaultHost. It is resolved when a connection is made, never
	// in New.
	Host string
	// Port is the server's TCP port (memcached_port). Default DefaultPort.
	Port int
	// Socket is the path of a unix socket (memcached_socket; the Lua form
	// "unix:/path" is accepted too). It wins over Host and Port and must not
	// be combined with Servers.
	Socket string
	// Servers lists several servers, each "host:port", "[ipv6]:port" or a
	// unix socket path ("/path.sock" or "unix:/path.sock"). Keys are spread
	// over them with ketama consistent hashing (as libmemcached does), so
	// adding a server moves only its share of the keys. Go addition; it
	// must not be combined with Host, Port or Socket.
	Servers []string

	// ConnectTimeout bounds dialing one connection, TLS handshake included
	// (memcached_connect_timeout). Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// SendTimeout bounds writing one request (memcached_send_timeout).
	// Default DefaultSendTimeout.
	SendTimeout time.Duration
	// ReadTimeout bounds reading one response (memcached_read_timeout).
	// Default DefaultReadTimeout.
	ReadTimeout time.Duration
	// KeepaliveTimeout is how long a pooled connection may sit idle and
	// still be reused (memcached_keepalive_timeout); an older one is
	// replaced by a fresh connection. Default DefaultKeepaliveTimeout.
	KeepaliveTimeout time.Duration

	// Pool names a connection pool (memcached_pool). Storages created with
	// the same non-empty Pool share one pool (see Config). Empty means a
	// pool of this Storage's own.
	Pool string
	// PoolSize is the largest number of connections open to one server at a
	// time (memcached_pool_size). Default DefaultPoolSize.
	PoolSize int
	// Backlog is how many callers may wait for a connection to one server
	// when PoolSize connections are busy (memcached_backlog); a caller beyond
	// that fails at once with an error matching ErrPoolExhausted. Waiting
	// honours the caller's context. Default DefaultBacklog.
	Backlog int

	// SSL switches on TLS (memcached_ssl; memcached started with -Z).
	SSL bool
	// SSLInsecureSkipVerify switches off certificate verification. The
	// lua-resty-session option memcached_ssl_verify defaults to off; in Go
	// verification is ON unless this is set. Requires SSL.
	SSLInsecureSkipVerify bool
	// ServerName is sent for SNI and is the name the server certificate is
	// verified against (memcached_server_name). Default: the host of each
	// server. Requires SSL.
	ServerName string
	// RootCAs verifies the server certificate; nil means the system roots.
	// Go addition. Requires SSL.
	RootCAs *x509.CertPool
	// Certificates are client certificates presented to the server. Go
	// addition. Requires SSL.
	Certificates []tls.Certificate

	// MaxValueSize is the largest value accepted, in bytes; a larger value
	// is an error matching session.ErrTooLarge and nothing is sent. The
	// driver also learns each server's own item size limit and refuses a
	// value over it the same way, so this is a further cap. Default
	// DefaultMaxValueSize. Go addition.
	MaxValueSize int
}

// ownFields clears the fields that shape one Storage's items only, leaving
// what Storages sharing a pool must agree on. A new Config field is shared
// unless it is cleared here.
func (c Config) ownFields() Config {
	c.Prefix, c.Suffix, c.HashSubject, c.MaxValueSize = "", "", false, 0
	return c
}

// ErrConfig reports an invalid Config; every error New returns for one
// matches it.
var ErrConfig = errors.New("memcached: invalid configuration")

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// settings is a validated Config: the Config itself with its defaults
// applied and its server fields folded into Servers (so that two ways of
// naming one server compare equal), plus what is derived from it. Code
// reads the Config's fields from here; nothing is copied field by field.
type settings struct {
	Config
	servers []*server
	tls     *tls.Config // nil without SSL
}

// sharesPoolWith reports whether s may use a pool built for o.
func (s *settings) sharesPoolWith(o *settings) bool {
	return reflect.DeepEqual(s.ownFields(), o.ownFields())
}

func (c Config) settings() (*settings, error) {
	s := &settings{Config: c}
	if err := s.applyDefaults(); err != nil {
		return nil, err
	}
	if err := s.parseServers(); err != nil {
		return nil, err
	}
	if err := s.buildTLS(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *settings) applyDefaults() error {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ConnectTimeout", &s.ConnectTimeout, DefaultConnectTimeout},
		{"SendTimeout", &s.SendTimeout, DefaultSendTimeout},
		{"ReadTimeout", &s.ReadTimeout, DefaultReadTimeout},
		{"KeepaliveTimeout", &s.KeepaliveTimeout, DefaultKeepaliveTimeout},
	} {
		if *d.v < 0 {
			return configError("%s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	for _, n := range []struct {
		name string
		v    *int
		def  int
	}{
		{"PoolSize", &s.PoolSize, DefaultPoolSize},
		{"Backlog", &s.Backlog, DefaultBacklog},
		{"MaxValueSize", &s.MaxValueSize, DefaultMaxValueSize},
	} {
		if *n.v < 0 {
			return configError("%s must not be negative", n.name)
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	return nil
}

// parseServers checks Host, Port, Socket and Servers and leaves the result
// in Servers only, canonical ("network address" per server).
func (s *settings) parseServers() error {
	if s.Port < 0 || s.Port > 65535 {
		return configError("Port must be between 0 and 65535")
	}
	switch {
	case len(s.Servers) > 0:
		if s.Socket != "" {
			return configError("Socket and Servers are mutually exclusive")
		}
		if s.Host != "" || s.Port != 0 {
			return configError("Host/Port and Servers are mutually exclusive")
		}
		seen := make(map[string]bool, len(s.Servers))
		for i, addr := range s.Servers {
			srv, err := parseServer(addr)
			if err != nil {
				return configError("Servers[%d]: %v", i, err)
			}
			if seen[srv.address] {
				return configError("Servers[%d]: listed twice", i)
			}
			seen[srv.address] = true
			s.servers = append(s.servers, srv)
		}
	case s.Socket != "":
		path := strings.TrimPrefix(s.Socket, "unix:")
		if path == "" {
			return configError("Socket: empty path")
		}
		s.servers = []*server{{network: "unix", address: path, host: path}}
	default:
		host, port := s.Host, s.Port
		if host == "" {
			host = DefaultHost
		}
		if port == 0 {
			port = DefaultPort
		}
		srv, err := parseServer(net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port)))
		if err != nil {
			return configError("Host: %v", err)
		}
		s.servers = []*server{srv}
	}
	s.Host, s.Port, s.Socket = "", 0, ""
	s.Servers = make([]string, len(s.servers))
	for i, srv := range s.servers {
		s.Servers[i] = srv.network + " " + srv.address
	}
	return nil
}

func (s *settings) buildTLS() error {
	if !s.SSL {
		if s.SSLInsecureSkipVerify || s.ServerName != "" || s.RootCAs != nil || len(s.Certificates) > 0 {
			return configError("SSLInsecureSkipVerify, ServerName, RootCAs and Certificates require SSL")
		}
		return nil
	}
	s.tls = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         s.ServerName,
		RootCAs:            s.RootCAs,
		Certificates:       s.Certificates,
		InsecureSkipVerify: s.SSLInsecureSkipVerify, //nolint:gosec // explicit opt-out, documented
	}
	return nil
}

// server is one parsed server address. It implements net.Addr without
// resolving anything, so that New never touches DNS or the network.
type server struct {
	network string // "tcp" or "unix"
	address string // "host:port" or the socket path
	host    string // host name or socket path
	port    int
}

func (s *server) Network() string { return s.network }
func (s *server) String() string  { return s.address }

// parseServer parses "host:port", "[v6]:port", "/path" or "unix:/path"
// without resolving the host.
func parseServer(addr string) (*server, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok || strings.Contains(addr, "/") {
		if !ok {
			path = addr
		}
		if path == "" {
			return nil, errors.New("empty socket path")
		}
		return &server{network: "unix", address: path, host: path}, nil
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, errors.New(`want "host:port" or a unix socket path`)
	}
	if host == "" {
		return nil, errors.New("empty host")
	}
	if strings.ContainsAny(host, " \t\r\n") {
		return nil, errors.New("host contains white space")
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return nil, errors.New("port must be a number between 1 and 65535")
	}
	return &server{network: "tcp", address: net.JoinHostPort(host, portStr), host: host, port: port}, nil
}
