package postgres

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// cancelGrace is how long a statement whose context ended may take to
// stop after the cancel request was sent before its connection is cut.
// The cancel normally ends it at once; the cut is for a server that does
// not answer.
const cancelGrace = 500 * time.Millisecond

// poolConfig builds the configuration of the Storage's own pool from the
// Lua fields or from ConnString.
func (c *Config) poolConfig() (*pgxpool.Config, error) {
	var pc *pgxpool.Config
	if c.ConnString != "" {
		if set := c.identityFieldsSet(); len(set) > 0 {
			return nil, configError("ConnString is given, so %v must be empty (set them in the connection string)", set)
		}
		var err error
		if pc, err = pgxpool.ParseConfig(c.ConnString); err != nil {
			// pgx redacts passwords in its parse errors.
			return nil, configError("ConnString: %v", err)
		}
	} else {
		var err error
		if pc, err = c.fieldsConfig(); err != nil {
			return nil, err
		}
	}

	connect, err := sqlstore.Duration("ConnectTimeout", c.ConnectTimeout, 0)
	if err != nil {
		return nil, configError("%v", err)
	}
	switch {
	case connect > 0:
		pc.ConnConfig.ConnectTimeout = connect
	case pc.ConnConfig.ConnectTimeout == 0:
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	keepalive, err := sqlstore.Duration("KeepaliveTimeout", c.KeepaliveTimeout, 0)
	if err != nil {
		return nil, configError("%v", err)
	}
	if keepalive > 0 {
		pc.MaxConnIdleTime = keepalive
	}
	size, err := sqlstore.Size("PoolSize", c.PoolSize, 0)
	if err != nil {
		return nil, configError("%v", err)
	}
	switch {
	case size > 0:
		pc.MaxConns = int32(min(size, 1<<30))
	case c.ConnString == "":
		pc.MaxConns = DefaultPoolSize
	}
	if pc.MinConns > pc.MaxConns {
		pc.MinConns = pc.MaxConns
	}

	if err := c.bindTimeouts(pc); err != nil {
		return nil, err
	}
	// A context that ends makes the server cancel the statement (a
	// statement waiting on a lock would otherwise go on after the caller
	// left), and the connection is cut if the server does not answer.
	pc.ConnConfig.BuildContextWatcherHandler = func(conn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: conn, DeadlineDelay: cancelGrace}
	}
	return pc, nil
}

// bindTimeouts maps SendTimeout and ReadTimeout onto the connections, at
// no cost per call (a timer per statement costs pgx a context watch):
//
//   - ReadTimeout is the server's statement_timeout: a statement not done
//     by then (a lock wait included) is cancelled by the server, and the
//     call fails with ErrTimeout. A statement_timeout the connection string
//     sets stays. TCP keepalive probes start after ReadTimeout of silence,
//     so a server that vanished without closing is noticed too.
//   - SendTimeout is the socket's TCP_USER_TIMEOUT (Linux): sent data left
//     unacknowledged that long drops the connection.
//
// The caller's context bounds every call as well (see Storage).
func (c *Config) bindTimeouts(pc *pgxpool.Config) error {
	send, err := sqlstore.Duration("SendTimeout", c.SendTimeout, DefaultSendTimeout)
	if err != nil {
		return configError("%v", err)
	}
	read, err := sqlstore.Duration("ReadTimeout", c.ReadTimeout, DefaultReadTimeout)
	if err != nil {
		return configError("%v", err)
	}
	if _, set := pc.ConnConfig.RuntimeParams["statement_timeout"]; !set {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(max(read.Milliseconds(), 1), 10)
	}
	d := net.Dialer{
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: read, Interval: max(read/3, time.Second), Count: 3},
		Control:         sendTimeoutControl(send),
	}
	pc.ConnConfig.DialFunc = d.DialContext
	return nil
}

// fieldsConfig builds a pool configuration from the Lua fields. The
// identity of the connection is set field by field, never spliced into a
// connection string, so no value needs quoting and no password can reach
// a parse error.
func (c *Config) fieldsConfig() (*pgxpool.Config, error) {
	// The defaults of everything the fields do not set (and the PG*
	// environment variables, as libpq reads them).
	pc, err := pgxpool.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, configError("%v", err)
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, configError("Port must be between 0 and 65535")
	}
	cc := pc.ConnConfig
	cc.Host = c.Host
	if cc.Host == "" {
		cc.Host = DefaultHost
	}
	cc.Port = uint16(DefaultPort)
	if c.Port != 0 {
		cc.Port = uint16(c.Port)
	}
	cc.User = c.Username
	if cc.User == "" {
		cc.User = DefaultUsername
	}
	cc.Password = c.Password
	cc.Database = c.Database
	if cc.Database == "" {
		cc.Database = DefaultDatabase
	}
	if c.Application != "" {
		cc.RuntimeParams["application_name"] = c.Application
	}
	cc.Fallbacks = nil

	policy, err := sqlstore.TLSPolicyOf(c.SSL, c.SSLRequired)
	if err != nil {
		return nil, configError("%v", err)
	}
	if policy == sqlstore.TLSOff {
		if c.SSLInsecureSkipVerify || c.ServerName != "" || c.RootCAs != nil || len(c.Certificates) > 0 {
			return nil, configError("SSLInsecureSkipVerify, ServerName, RootCAs and Certificates need SSL")
		}
		cc.TLSConfig = nil
		return pc, nil
	}
	serverName := c.ServerName
	if serverName == "" {
		serverName = cc.Host
	}
	cc.TLSConfig = sqlstore.TLSConfig(serverName, c.SSLInsecureSkipVerify, c.RootCAs, c.Certificates)
	if policy == sqlstore.TLSPreferred {
		// pgmoon's ssl without ssl_required: TLS if the server offers it,
		// else a plain connection.
		cc.Fallbacks = []*pgconn.FallbackConfig{{Host: cc.Host, Port: cc.Port}}
	}
	return pc, nil
}

// identityFieldsSet names the fields that say where and how to connect,
// which ConnString replaces.
func (c *Config) identityFieldsSet() []string {
	var set []string
	for _, f := range c.connFieldsSet() {
		switch f {
		case "ConnectTimeout", "SendTimeout", "ReadTimeout", "KeepaliveTimeout", "PoolSize":
			// These tune the pool and may be set beside ConnString.
		default:
			set = append(set, f)
		}
	}
	return set
}

// endpointOf reads the server's address from a pool configuration.
func endpointOf(pc *pgxpool.Config) (string, int) {
	if pc == nil || pc.ConnConfig == nil {
		return "", 0
	}
	host, port := pc.ConnConfig.Host, int(pc.ConnConfig.Port)
	if len(host) > 0 && host[0] == '/' {
		// A unix socket directory: the socket file is named after the port.
		return fmt.Sprintf("%s/.s.PGSQL.%d", host, port), 0
	}
	return host, port
}
