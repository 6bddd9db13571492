package tracing

import (
	"context"
	"errors"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/sessionstore/sessionstore/session"
)

// Values of error.type for the failures the session contract defines, and
// for context errors. They are fixed strings: error.type must be of low
// cardinality, and an error's text is never recorded. Any other error gets
// the OpenTelemetry rule: the result of an ErrorType() string method in its
// chain, else its Go type name (such as "*net.OpError").
const (
	ErrorTypeInvalidArgument  = "invalid_argument"
	ErrorTypeTooLarge         = "too_large"
	ErrorTypeCorruptIndex     = "corrupt_index"
	ErrorTypeFull             = "full"
	ErrorTypeClosed           = "closed"
	ErrorTypeCanceled         = "canceled"
	ErrorTypeDeadlineExceeded = "deadline_exceeded"
)

// errorType maps err to a low-cardinality error.type value. The contract's
// sentinels come first (ErrTooLarge before ErrInvalidArgument, which it also
// matches); then the context errors; then the OpenTelemetry rule for any
// other error: an ErrorType() string method in the chain, else the error's
// Go type name (never its text).
func errorType(err error) string {
	switch {
	case errors.Is(err, session.ErrTooLarge):
		return ErrorTypeTooLarge
	case errors.Is(err, session.ErrInvalidArgument):
		return ErrorTypeInvalidArgument
	case errors.Is(err, session.ErrCorruptIndex):
		return ErrorTypeCorruptIndex
	case errors.Is(err, session.ErrFull):
		return ErrorTypeFull
	case errors.Is(err, session.ErrClosed):
		return ErrorTypeClosed
	case errors.Is(err, context.Canceled):
		return ErrorTypeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return ErrorTypeDeadlineExceeded
	}
	return semconv.ErrorType(err).Value.AsString()
}

func isNotFound(err error) bool {
	return err != nil && errors.Is(err, session.ErrNotFound)
}
