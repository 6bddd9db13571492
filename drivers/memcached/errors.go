package memcached

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessionstore/sessionstore/session"
)

// ErrServer reports an error answer or an unexpected answer from memcached.
// Its text names the kind of answer only: the answer itself is not quoted,
// because a desynchronised connection could echo session data.
var ErrServer = errors.New("memcached: server error")

// The answers of round trips that callers act on, rather than failures.
var (
	errMiss      = errors.New("no such item")
	errNotStored = errors.New("not stored")
	errConflict  = errors.New("item changed since it was read")
	// errOtherKey reports an answer for a key that was not asked for, which
	// gomemcache passes on unchecked.
	errOtherKey = fmt.Errorf("%w: answer for another key", ErrServer)
)

// itemTooLargeError reports an item over its server's item size limit,
// refused before it was sent (or, when the limit changed, by the server).
type itemTooLargeError struct {
	// maxValue is the largest value that fits under this key; zero when the
	// server's limit is unknown.
	maxValue int
}

func (e *itemTooLargeError) Error() string {
	if e.maxValue > 0 {
		return fmt.Sprintf("item over the server's item size limit (largest value for this key: %d bytes)", e.maxValue)
	}
	return "item over the server's item size limit"
}

// unsureError is the failure of a request that was written, at least in
// part, before its connection failed: the server may have applied it.
type unsureError struct{ err error }

func (e *unsureError) Error() string { return e.err.Error() }
func (e *unsureError) Unwrap() error { return e.err }

// mayHaveApplied reports whether a failed request may still have been
// applied: it was written and no answer said otherwise. A request refused
// before it was sent, or answered with an error, was not.
func mayHaveApplied(err error) bool {
	var u *unsureError
	return errors.As(err, &u)
}

// isTooLargeAnswer reports memcached's answer to an item over its -I limit.
func isTooLargeAnswer(err error) bool {
	return strings.Contains(err.Error(), "SERVER_ERROR object too large")
}

// callError adds ctx's error to a network error that ctx may have caused:
// by an interrupt, or by the deadline the conn took from ctx, which can pass
// a moment before ctx itself reports it. Its error target, which escapes,
// is only allocated when a call fails.
func callError(ctx context.Context, err error) error {
	var ne net.Error
	if !errors.As(err, &ne) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	if d, ok := ctx.Deadline(); ok && ne.Timeout() && !time.Now().Before(d) {
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// wireError wraps an error of gomemcache or the network with the command
// that failed. Errors gomemcache builds from a server answer quote the
// answer, which after a desynchronisation could hold session data, so they
// are replaced by ErrServer with the kind of answer only.
func wireError(cmd string, err error) error {
	var (
		ne   net.Error
		cte  *memcache.ConnectTimeoutError
		rhe  tls.RecordHeaderError
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		hne  x509.HostnameError
		cie  x509.CertificateInvalidError
		ae   *tls.AlertError
		sent = []error{
			context.Canceled, context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF,
			ErrPoolExhausted, errNoServers, ErrServer, session.ErrClosed, session.ErrInvalidArgument,
			memcache.ErrMalformedKey,
		}
	)
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SERVER_ERROR"):
		return fmt.Errorf("%s: %w (SERVER_ERROR answer)", cmd, ErrServer)
	case strings.Contains(msg, "CLIENT_ERROR"):
		return fmt.Errorf("%s: %w (CLIENT_ERROR answer)", cmd, ErrServer)
	case errors.As(err, &cte), errors.As(err, &ne), errors.As(err, &rhe), errors.As(err, &cve),
		errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie), errors.As(err, &ae):
		return fmt.Errorf("%s: %w", cmd, err)
	}
	for _, e := range sent {
		if errors.Is(err, e) {
			return fmt.Errorf("%s: %w", cmd, err)
		}
	}
	return fmt.Errorf("%s: %w (unexpected answer)", cmd, ErrServer)
}
