package redis

import (
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

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
