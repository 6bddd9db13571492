package containertest

import (
	"fmt"
	"net"
	"strings"
)

// FreePort asks the kernel for a free port of 127.0.0.1. It is free when FreePort returns,
// not reserved: someone else may take it before a server binds it (Start retries published
// ports on such a conflict; with HostNetwork the caller must).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(Host, "0"))
	if err != nil {
		return 0, fmt.Errorf("containertest: choose a free loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("containertest: choose a free loopback port: %w", err)
	}
	return port, nil
}

// pickPort is FreePort; a test replaces it to force a port conflict.
var pickPort = FreePort

// isPortConflict reports whether Docker failed to publish a port because it was taken
// (by docker-proxy's bind, or by another container's binding).
func isPortConflict(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "address already in use") || strings.Contains(msg, "port is already allocated")
}
