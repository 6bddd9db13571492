package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// strictMode is the sql_mode of the Storage's connections:
// STRICT_ALL_TABLES makes the server refuse a value that does not fit its
// column (too long, wrong character set) instead of truncating it with a
// warning, and NO_ENGINE_SUBSTITUTION refuses to create the tables in
// another engine than InnoDB (transactions and foreign keys are needed).
// It replaces the server's default mode, so that the driver's statements
// behave the same on every server.
const strictMode = "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"

// connSettings is how the Storage connects: go-sql-driver's configuration
// and the pool's.
type connSettings struct {
	my        *gomysql.Config
	poolSize  int
	keepalive time.Duration
	lockWait  int // innodb_lock_wait_timeout, seconds
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	logger    *slog.Logger
}

// safeCharsets are the connection character sets in which go-sql-driver's
// escaping cannot be undone by a multi-byte character.
var safeCharsets = map[string]bool{"utf8mb4": true, "utf8mb3": true, "utf8": true, "ascii": true, "latin1": true}

// connSettings builds the connection configuration from the Lua fields or
// from DSN, then makes the settings every connection needs.
func (c *Config) connSettings() (*connSettings, error) {
	var my *gomysql.Config
	if c.DSN != "" {
		if set := c.identityFieldsSet(); len(set) > 0 {
			return nil, configError("DSN is given, so %v must be empty (set them in the DSN)", set)
		}
		var err error
		if my, err = gomysql.ParseDSN(c.DSN); err != nil {
			// go-sql-driver's parse errors name parameters, never the password.
			return nil, configError("DSN: %v", err)
		}
	} else {
		var err error
		if my, err = c.fieldsConfig(); err != nil {
			return nil, err
		}
	}
	cs := &connSettings{my: my, logger: c.Logger}

	var err error
	if cs.poolSize, err = sqlstore.Size("PoolSize", c.PoolSize, DefaultPoolSize); err != nil {
		return nil, configError("%v", err)
	}
	if cs.keepalive, err = sqlstore.Duration("KeepaliveTimeout", c.KeepaliveTimeout, 0); err != nil {
		return nil, configError("%v", err)
	}
	if err := c.bindTimeouts(cs); err != nil {
		return nil, err
	}
	if err := cs.requireSettings(c.Charset); err != nil {
		return nil, err
	}
	return cs, nil
}

// fieldsConfig builds go-sql-driver's configuration from the Lua fields,
// field by field: no value is spliced into a DSN, so none needs quoting.
func (c *Config) fieldsConfig() (*gomysql.Config, error) {
	my := gomysql.NewConfig()
	if c.Port < 0 || c.Port > 65535 {
		return nil, configError("Port must be between 0 and 65535")
	}
	if c.Socket != "" {
		if c.Host != "" || c.Port != 0 {
			return nil, configError("Socket is given, so Host and Port must be empty")
		}
		my.Net, my.Addr = "unix", c.Socket
	} else {
		host, port := c.Host, c.Port
		if host == "" {
			host = DefaultHost
		}
		if port == 0 {
			port = DefaultPort
		}
		my.Net, my.Addr = "tcp", net.JoinHostPort(host, strconv.Itoa(port))
	}
	my.User = c.Username
	if my.User == "" {
		my.User = DefaultUsername
	}
	my.Passwd = c.Password
	my.DBName = c.Database

	if !c.SSL {
		if c.SSLInsecureSkipVerify || c.ServerName != "" || c.RootCAs != nil || len(c.Certificates) > 0 {
			return nil, configError("SSLInsecureSkipVerify, ServerName, RootCAs and Certificates need SSL")
		}
		return my, nil
	}
	if c.Socket != "" {
		return nil, configError("SSL over a unix socket is not supported")
	}
	serverName := c.ServerName
	if serverName == "" {
		serverName, _, _ = net.SplitHostPort(my.Addr)
	}
	my.TLS = sqlstore.TLSConfig(serverName, c.SSLInsecureSkipVerify, c.RootCAs, c.Certificates)
	return my, nil
}

// bindTimeouts maps the Lua timeouts onto the connections, at no cost per
// call: ConnectTimeout is go-sql-driver's dial timeout (login included),
// SendTimeout its write deadline, ReadTimeout the server's
// innodb_lock_wait_timeout (whole seconds, rounded up) and, one second
// longer, the read deadline, so that the server's refusal (ErrTimeout)
// arrives before the socket gives up. Timeouts a DSN sets stay unless the
// field is set too.
func (c *Config) bindTimeouts(cs *connSettings) error {
	my := cs.my
	connect, err := sqlstore.Duration("ConnectTimeout", c.ConnectTimeout, 0)
	if err != nil {
		return configError("%v", err)
	}
	switch {
	case connect > 0:
		my.Timeout = connect
	case my.Timeout == 0:
		my.Timeout = DefaultConnectTimeout
	}
	send, err := sqlstore.Duration("SendTimeout", c.SendTimeout, 0)
	if err != nil {
		return configError("%v", err)
	}
	switch {
	case send > 0:
		my.WriteTimeout = send
	case my.WriteTimeout == 0:
		my.WriteTimeout = DefaultSendTimeout
	}
	read, err := sqlstore.Duration("ReadTimeout", c.ReadTimeout, 0)
	if err != nil {
		return configError("%v", err)
	}
	switch {
	case read > 0:
	case my.ReadTimeout > 0:
		read = my.ReadTimeout
	default:
		read = DefaultReadTimeout
	}
	cs.lockWait = int(min((read+time.Second-1)/time.Second, 1<<30))
	my.ReadTimeout = time.Duration(cs.lockWait)*time.Second + time.Second

	dial := c.DialContext
	if dial == nil {
		d := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: read, Interval: max(read/3, time.Second), Count: 3}}
		dial = d.DialContext
	}
	cs.dial = dial
	return nil
}

// requireSettings makes what the driver's statements need of every
// connection, whatever the fields or the DSN said:
//
//   - InterpolateParams and MultiStatements: an operation's statements go
//     to the server as one query (one round trip, one transaction), with
//     every value a parameter that go-sql-driver escapes into it for the
//     connection's character set and the server's NO_BACKSLASH_ESCAPES
//     (binary values as _binary literals). Server-side prepared statements
//     would cost a round trip per statement, BEGIN and COMMIT included.
//   - a safe character set (see Config.Charset), set with SET NAMES, and a
//     DSN's collation only if it is one of that character set's;
//   - strict SQL mode (strictMode): a DSN's own sql_mode stays if it is
//     strict, and is refused otherwise;
//   - innodb_lock_wait_timeout from ReadTimeout, unless the DSN sets it;
//   - autocommit and the character set variables left alone: a DSN that
//     sets them is refused.
func (cs *connSettings) requireSettings(charset string) error {
	my := cs.my
	my.InterpolateParams = true
	my.MultiStatements = true
	if charset == "" {
		charset = DefaultCharset
	}
	if !safeCharsets[strings.ToLower(charset)] {
		return configError("Charset %q is not one of utf8mb4, utf8mb3, utf8, ascii, latin1", charset)
	}
	// A DSN's collation stays if it belongs to the character set (a DSN's
	// charset parameter gives way to Config.Charset).
	collation := my.Collation
	if cs, _, _ := strings.Cut(collation, "_"); collation != "" && !strings.EqualFold(cs, charset) {
		return configError("DSN collation %q is not a collation of the connection's character set %s (Config.Charset)", collation, charset)
	}
	if err := my.Apply(gomysql.Charset(charset, collation)); err != nil {
		return configError("%v", err)
	}
	if my.Params == nil {
		my.Params = map[string]string{}
	}
	for k := range my.Params {
		switch lk := strings.ToLower(k); {
		case lk == "autocommit", strings.HasPrefix(lk, "character_set"), strings.HasPrefix(lk, "collation"), lk == "names":
			return configError("DSN parameter %s is set by the driver", k)
		case lk == "sql_mode":
			if m := strings.ToUpper(my.Params[k]); !strings.Contains(m, "STRICT_ALL_TABLES") && !strings.Contains(m, "STRICT_TRANS_TABLES") {
				return configError("DSN parameter sql_mode must include STRICT_ALL_TABLES or STRICT_TRANS_TABLES (the driver relies on the server refusing what does not fit)")
			}
		}
	}
	if !hasParam(my.Params, "sql_mode") {
		my.Params["sql_mode"] = strictMode
	}
	if !hasParam(my.Params, "innodb_lock_wait_timeout") {
		my.Params["innodb_lock_wait_timeout"] = strconv.Itoa(cs.lockWait)
	}
	my.Logger = logger{cs.logger}
	my.DialFunc = dialFunc(cs.dial)
	return nil
}

func hasParam(params map[string]string, name string) bool {
	for k := range params {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// identityFieldsSet names the fields that say where and how to connect,
// which DSN replaces.
func (c *Config) identityFieldsSet() []string {
	var set []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"Host", c.Host != ""}, {"Port", c.Port != 0}, {"Socket", c.Socket != ""},
		{"Username", c.Username != ""}, {"Password", c.Password != ""}, {"Database", c.Database != ""},
		{"SSL", c.SSL}, {"SSLInsecureSkipVerify", c.SSLInsecureSkipVerify},
		{"ServerName", c.ServerName != ""}, {"RootCAs", c.RootCAs != nil}, {"Certificates", len(c.Certificates) > 0},
	} {
		if f.set {
			set = append(set, f.name)
		}
	}
	return set
}

// logger passes go-sql-driver's log lines (a dropped connection, a failed
// close) to the Storage's Logger as warnings, or drops them. They name
// addresses and errors, never statements or their values.
type logger struct{ l *slog.Logger }

func (g logger) Print(v ...any) {
	if g.l != nil {
		g.l.Warn("mysql: go-sql-driver: " + strings.TrimSpace(fmt.Sprint(v...)))
	}
}

// endpointOf reads the server's address from the configuration.
func endpointOf(my *gomysql.Config) (string, int) {
	if my.Net == "unix" {
		return my.Addr, 0
	}
	host, port, err := net.SplitHostPort(my.Addr)
	if err != nil {
		return my.Addr, 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}
