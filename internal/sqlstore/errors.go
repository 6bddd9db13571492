package sqlstore

import (
	"context"
	"fmt"
)

// TimeoutError is a statement the server gave up on after the driver's
// ReadTimeout (PostgreSQL's statement_timeout, InnoDB's lock wait
// timeout) while the caller's context was still live.
type TimeoutError struct {
	// Timeout is the driver's ErrTimeout.
	Timeout error
	// Err is the client's or the server's error.
	Err error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("statement timed out (ReadTimeout): %v", e.Err)
}

// Unwrap makes errors.Is see the driver's ErrTimeout and
// context.DeadlineExceeded (the server reports its own limit, not the
// deadline behind it) besides the server's error.
func (e *TimeoutError) Unwrap() []error {
	return []error{e.Timeout, context.DeadlineExceeded, e.Err}
}

// MaxAttempts bounds the tries of one operation: a second try only when
// the first provably did nothing.
const MaxAttempts = 2

// Again reports whether an operation that failed with err on try number
// try (from 1) runs once more: when retryable says the try changed
// nothing (nothing reached the server, or the server rolled the whole
// transaction back as a deadlock victim) and the caller still waits.
func Again(ctx context.Context, err error, try int, retryable func(error) bool) bool {
	return try < MaxAttempts && retryable(err) && ctx.Err() == nil
}
