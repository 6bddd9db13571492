package memcached_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// testPKI is a CA with a server certificate for one DNS name (and no IP
// address, so verifying it against 127.0.0.1 fails) and a client
// certificate.
type testPKI struct {
	pool              *x509.CertPool
	caFile            string
	certFile, keyFile string
	client            tls.Certificate
}

func newTestPKI(t *testing.T, serverName string) *testPKI {
	t.Helper()
	dir := t.TempDir()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sessionstore test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, dns []string) ([]byte, *ecdsa.PrivateKey) {
		k := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			DNSNames:     dns,
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		require.NoError(t, err)
		return der, k
	}
	writePEM := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	srvDER, srvKey := issue(2, serverName, x509.ExtKeyUsageServerAuth, []string{serverName})
	srvKeyDER, err := x509.MarshalECPrivateKey(srvKey)
	require.NoError(t, err)
	cliDER, cliKey := issue(3, "client", x509.ExtKeyUsageClientAuth, nil)

	p := &testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = writePEM("ca.pem", "CERTIFICATE", caDER)
	p.certFile = writePEM("server.pem", "CERTIFICATE", srvDER)
	p.keyFile = writePEM("server-key.pem", "EC PRIVATE KEY", srvKeyDER)
	p.client = tls.Certificate{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}
	return p
}

func TestTLS(t *testing.T) {
	const name = "memcached.test"
	pki := newTestPKI(t, name)
	_, addr := localMemcached(t, false, "-Z", "-o", "ssl_chain_cert="+pki.certFile+",ssl_key="+pki.keyFile)
	tests := []struct {
		name string
		cfg  memcached.Config
		ok   bool
		// why checks the error is the expected rejection.
		why func(error) bool
	}{
		{"verified against ServerName with a CA pool", memcached.Config{SSL: true, ServerName: name, RootCAs: pki.pool}, true, nil},
		{"wrong ServerName is rejected", memcached.Config{SSL: true, ServerName: "other.test", RootCAs: pki.pool}, false, isHostnameError},
		{"verified against the host by default", memcached.Config{SSL: true, RootCAs: pki.pool}, false, isHostnameError},
		{"unknown CA is rejected", memcached.Config{SSL: true, ServerName: name}, false, func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}},
		{"verification switched off", memcached.Config{SSL: true, SSLInsecureSkipVerify: true}, true, nil},
		{"plain text to a TLS server fails", memcached.Config{ReadTimeout: 300 * time.Millisecond}, false, func(err error) bool {
			return err != nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Servers = []string{addr}
			// Loading the system roots can take a while on a busy machine.
			cfg.ConnectTimeout = 10 * time.Second
			s, err := memcached.New(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			if tt.ok {
				exerciseStorage(t, s)
				return
			}
			k := sessionKey()
			err = s.Set(t.Context(), "session", k, []byte("v"), time.Minute, time.Now(), session.SetOptions{})
			require.Error(t, err)
			assert.True(t, tt.why(err), "unexpected error: %v", err)
			assert.NotContains(t, err.Error(), k)
		})
	}
}

func isHostnameError(err error) bool {
	var e x509.HostnameError
	return errors.As(err, &e)
}

func TestTLSClientCertificate(t *testing.T) {
	const name = "memcached.test"
	pki := newTestPKI(t, name)
	_, addr := localMemcached(t, false, "-Z", "-o",
		"ssl_chain_cert="+pki.certFile+",ssl_key="+pki.keyFile+",ssl_ca_cert="+pki.caFile+",ssl_verify_mode=2")
	base := memcached.Config{Servers: []string{addr}, SSL: true, ServerName: name, RootCAs: pki.pool}

	with := base
	with.Certificates = []tls.Certificate{pki.client}
	s, err := memcached.New(with)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	exerciseStorage(t, s)

	s2, err := memcached.New(base)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s2.Close() })
	_, err = s2.Get(t.Context(), "session", sessionKey())
	require.Error(t, err, "the server requires a client certificate")
	assert.NotErrorIs(t, err, session.ErrNotFound)
}
