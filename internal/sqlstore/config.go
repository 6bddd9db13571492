package sqlstore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Duration returns v, or def when v is zero. A negative v is an error
// naming field.
func Duration(field string, v, def time.Duration) (time.Duration, error) {
	switch {
	case v < 0:
		return 0, fmt.Errorf("%s must not be negative", field)
	case v == 0:
		return def, nil
	}
	return v, nil
}

// Size returns v, or def when v is zero. A negative v is an error naming
// field.
func Size(field string, v, def int) (int, error) {
	switch {
	case v < 0:
		return 0, fmt.Errorf("%s must not be negative", field)
	case v == 0:
		return def, nil
	}
	return v, nil
}

// TLSPolicy is what a driver does about TLS, from lua-resty-session's ssl
// and ssl_required options.
type TLSPolicy int

const (
	// TLSOff: plain connections (ssl false).
	TLSOff TLSPolicy = iota
	// TLSPreferred: TLS when the server offers it, else a plain connection
	// (ssl true, ssl_required false: pgmoon's behaviour).
	TLSPreferred
	// TLSRequired: TLS or no connection (ssl and ssl_required true).
	TLSRequired
)

// ErrSSLRequiredWithoutSSL reports ssl_required set without ssl.
var ErrSSLRequiredWithoutSSL = errors.New("SSLRequired needs SSL")

// TLSPolicyOf maps lua-resty-session's ssl and ssl_required to a policy.
// ssl_required without ssl is an error: Lua would ignore it, and a setting
// that asks for TLS but gets none must not pass silently.
func TLSPolicyOf(ssl, sslRequired bool) (TLSPolicy, error) {
	switch {
	case sslRequired && !ssl:
		return TLSOff, ErrSSLRequiredWithoutSSL
	case sslRequired:
		return TLSRequired, nil
	case ssl:
		return TLSPreferred, nil
	}
	return TLSOff, nil
}

// TLSConfig returns the client TLS configuration: the server certificate
// verified against roots (nil: the system's) for serverName unless
// insecureSkipVerify (lua-resty-session's ssl_verify defaults to off; here
// verification is on unless switched off explicitly), certs presented as
// client certificates, TLS 1.2 at least.
func TLSConfig(serverName string, insecureSkipVerify bool, roots *x509.CertPool, certs []tls.Certificate) *tls.Config {
	return &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: insecureSkipVerify, //nolint:gosec // only when the user switches verification off
		RootCAs:            roots,
		Certificates:       certs,
		MinVersion:         tls.VersionTLS12,
	}
}
