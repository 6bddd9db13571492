package containertest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"
)

// redisSpec runs a plain Redis on a published port (protected mode off: clients come from
// docker-proxy, not from loopback as Redis sees it).
func redisSpec(args ...string) Spec {
	return Spec{
		Name:  "coretest",
		Image: RedisImage,
		Ports: []string{"6379/tcp"},
		Cmd:   append([]string{"redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"}, args...),
		Probe: RequestProbe("PING\r\n", "+PONG"),
	}
}

// redisDo sends one command over conn (plain or TLS) and returns the reply flattened to
// text: arrays as their elements joined by spaces, errors with their leading '-'.
func redisDo(conn net.Conn, args ...string) (string, error) {
	if err := conn.SetDeadline(time.Now().Add(3 * time.Second)); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readRESP(bufio.NewReader(conn))
}

func readRESP(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty RESP line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return line, nil
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, n)
		for range n {
			p, err := readRESP(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, " "), nil
	}
	return "", fmt.Errorf("unexpected RESP line %q", line)
}

// redis dials addr and runs one command.
func redis(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return redisDo(conn, args...)
}

// writeCert writes a self-signed certificate for 127.0.0.1 (cert.pem, key.pem) into a new
// directory, mode 0755 and files 0644 so that the server's user can read them through a
// bind mount, and returns the directory and a pool trusting the certificate.
func writeCert(t *testing.T) (string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "containertest"},
		IPAddresses:           []net.IP{net.ParseIP(Host)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)

	dir := filepath.Join(t.TempDir(), "tls")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Chmod(dir, 0o755)) // umask aside: the server runs as another user
	for name, block := range map[string]*pem.Block{
		"cert.pem": {Type: "CERTIFICATE", Bytes: der},
		"key.pem":  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(block), 0o644))
		require.NoError(t, os.Chmod(p, 0o644))
	}
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return dir, pool
}

// tlsPing returns a probe that PINGs Redis over TLS, verifying the server's certificate.
func tlsPing(pool *x509.CertPool) ProbeFunc {
	return func(ctx context.Context, addr string) error {
		d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: Host, MinVersion: tls.VersionTLS12}}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		reply, err := redisDo(conn, "PING")
		if err != nil {
			return err
		}
		if reply != "PONG" {
			return fmt.Errorf("PING over TLS: %q", reply)
		}
		return nil
	}
}

// dockerCLI connects to the engine for inspections, or ends the test like Start would.
func dockerCLI(t *testing.T) *client.Client {
	t.Helper()
	cli, err := connectDocker(t.Context())
	if err != nil {
		SkipOrFail(t, redisSpec(), err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli.Client
}

// containersLabelled lists the IDs of containers (running or not) carrying label=value.
func containersLabelled(t *testing.T, label, value string) []string {
	t.Helper()
	res, err := dockerCLI(t).ContainerList(t.Context(), client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", label+"="+value),
	})
	require.NoError(t, err)
	ids := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		ids = append(ids, c.ID)
	}
	return ids
}
