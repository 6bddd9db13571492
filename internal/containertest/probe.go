package containertest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// dial connects to addr on behalf of a probe, with ctx's deadline (or a second) on the
// connection as a whole.
func dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Second)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// RequestProbe returns a probe for line protocols: it sends request and wants the first
// line of the answer to start with wantPrefix. RequestProbe("version\r\n", "VERSION ")
// checks memcached, RequestProbe("PING\r\n", "+PONG") Redis (an answer like "-DENIED" or
// "-LOADING" is not ready, and its text ends up in Start's error).
func RequestProbe(request, wantPrefix string) ProbeFunc {
	return func(ctx context.Context, addr string) error {
		conn, err := dial(ctx, addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.Write([]byte(request)); err != nil {
			return err
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, wantPrefix) {
			return fmt.Errorf("unexpected answer to %q: %q", strings.TrimSpace(request), strings.TrimSpace(line))
		}
		return nil
	}
}

// DialProbe returns a probe that only connects. That proves nothing on a published port
// (docker-proxy accepts before the server listens); use it with HostNetwork, where the
// server itself accepts.
func DialProbe() ProbeFunc {
	return func(ctx context.Context, addr string) error {
		conn, err := dial(ctx, addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}
