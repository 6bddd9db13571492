//go:build linux

package postgres

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT of linux/tcp.h, which package syscall
// does not name.
const tcpUserTimeout = 0x12

// sendTimeoutControl makes the kernel drop a TCP connection whose sent data
// stays unacknowledged for d (lua-resty-session's send_timeout): a server
// gone silent fails the call instead of leaving it to TCP's retransmissions
// for a quarter of an hour.
func sendTimeoutControl(d time.Duration) func(network, address string, c syscall.RawConn) error {
	ms := int(min(d/time.Millisecond, 1<<31-1))
	return func(network, _ string, c syscall.RawConn) error {
		switch network {
		case "tcp", "tcp4", "tcp6":
		default:
			return nil // unix sockets have no such timeout
		}
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, ms)
		}); err != nil {
			return err
		}
		return serr
	}
}
