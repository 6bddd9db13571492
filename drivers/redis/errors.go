package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/session"
)

var (
	// ErrPoolExhausted reports a call refused because PoolSize+Backlog calls
	// of the Storage were already in flight (it fails at once), or one that
	// waited longer than the pool timeout for a connection.
	ErrPoolExhausted = errors.New("redis: connection pool exhausted")
	// ErrUnavailable reports that Redis could not serve the call: a
	// connection could not be made (TLS verification failing included) or broke, the server or the slot's
	// master is down (CLUSTERDOWN, MASTERDOWN, TRYAGAIN, LOADING), or a
	// replica refused a write (READONLY). The call may have taken effect or
	// not.
	ErrUnavailable = errors.New("redis: server unavailable")
	// ErrWrongType reports an item that holds another Redis type than the
	// driver keeps there (WRONGTYPE): a foreign write under a session's or
	// an index's name. A damaged index also matches session.ErrCorruptIndex.
	ErrWrongType = errors.New("redis: item of the wrong type")
	// ErrServer reports any other error reply from Redis. The reply's text
	// follows in the message; Redis's error replies quote no keys or values.
	ErrServer = errors.New("redis: server error")
)

// errorf wraps err, the failure of op, so that errors.Is matches the
// driver's sentinels and ctx's error. It never formats a key or a value:
// go-redis errors hold the server's reply or a network error, neither of
// which quotes the command's arguments.
func errorf(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, goredis.Nil) {
		return fmt.Errorf("redis: %s: %w", op, session.ErrNotFound)
	}
	kind := classify(err)
	// A failure while ctx is done is ctx's doing (go-redis may report it as
	// a network timeout): say so, as contract 2.14 requires.
	if cerr := ctxErr(ctx, err); cerr != nil && !errors.Is(err, cerr) {
		if kind != nil {
			return fmt.Errorf("redis: %s: %w: %w (%w)", op, cerr, kind, err)
		}
		return fmt.Errorf("redis: %s: %w (%w)", op, cerr, err)
	}
	if kind != nil && !errors.Is(err, kind) {
		return fmt.Errorf("redis: %s: %w: %w", op, kind, err)
	}
	return fmt.Errorf("redis: %s: %w", op, err)
}

// ctxErr is ctx.Err(), or DeadlineExceeded for a timeout at or after ctx's deadline:
// go-redis puts that deadline on the connection, and the read can fail a moment before
// ctx's own timer marks ctx done.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var nerr net.Error
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && errors.As(err, &nerr) && nerr.Timeout() {
		return context.DeadlineExceeded
	}
	return nil
}

// classify returns the driver sentinel err belongs to, or nil.
func classify(err error) error {
	switch {
	case errors.Is(err, ErrPoolExhausted), errors.Is(err, ErrUnavailable), errors.Is(err, ErrWrongType), errors.Is(err, ErrServer):
		return nil // already classified
	case errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrPoolExhausted):
		return ErrPoolExhausted
	case errors.Is(err, goredis.ErrClosed):
		return session.ErrClosed
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		switch code, _, _ := strings.Cut(msg, " "); code {
		case "WRONGTYPE":
			return ErrWrongType
		case "CLUSTERDOWN", "MASTERDOWN", "TRYAGAIN", "LOADING", "READONLY", "BUSY":
			return ErrUnavailable
		}
		if strings.HasPrefix(msg, "redis: ") { // go-redis's own, e.g. too many redirects
			return ErrUnavailable
		}
		return ErrServer
	}
	var nerr net.Error
	var verr *tls.CertificateVerificationError
	var rerr2 tls.RecordHeaderError
	if errors.As(err, &nerr) || errors.Is(err, net.ErrClosed) || errors.As(err, &verr) || errors.As(err, &rerr2) || isConnError(err) {
		return ErrUnavailable
	}
	return nil
}

// isConnError recognises the plain errors a broken connection surfaces as.
func isConnError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection refused")
}
