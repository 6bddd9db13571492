package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DefaultTLSName is the name a WithTLS certificate is issued for when no name is given.
const DefaultTLSName = "redis.test"

// TLS is a test CA and the server certificate it issued, as files in one directory
// (ca.crt, server.crt, server.key) and as what a client needs to verify the server.
type TLS struct {
	// Dir holds the files.
	Dir string
	// RootCAs holds the test CA: set it as the client's root CAs.
	RootCAs *x509.CertPool
	// ServerName is the first name the certificate was issued for; connect with it as
	// the server name (the certificate holds no IP address, so 127.0.0.1 does not verify).
	ServerName string
}

// NewTLS makes a fresh CA and a server certificate for names (DefaultTLSName when none;
// an entry that parses as an IP address becomes an IP SAN) and writes them into dir,
// readable by a server running under another user in a container (files 0644, dir 0755).
// The certificates are valid for a day.
func NewTLS(dir string, names ...string) (*TLS, error) {
	if len(names) == 0 {
		names = []string{DefaultTLSName}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // t.TempDir() is 0700
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redistest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("redistest: tls: %w", err)
	}
	for name, block := range map[string]*pem.Block{
		"ca.crt":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.crt": {Type: "CERTIFICATE", Bytes: der},
		"server.key": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		// 0644 for the key too: the server runs as another user inside the container.
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o644); err != nil { //nolint:gosec // a throwaway test key
			return nil, fmt.Errorf("redistest: tls: %w", err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &TLS{Dir: dir, RootCAs: pool, ServerName: names[0]}, nil
}
