//go:build !linux

package postgres

import (
	"syscall"
	"time"
)

// sendTimeoutControl is a no-op where TCP_USER_TIMEOUT does not exist: the
// keepalive probes and the server's statement_timeout still bound a call.
func sendTimeoutControl(time.Duration) func(network, address string, c syscall.RawConn) error {
	return nil
}
