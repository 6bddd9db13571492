package session

import (
	"errors"
	"strconv"
)

// Sentinel errors. Drivers wrap them with context; callers test them with
// errors.Is. No error of this package or of a conforming driver contains a
// session key or value.
var (
	// ErrNotFound reports a session that does not exist or has expired.
	ErrNotFound = errors.New("session: not found")
	// ErrInvalidArgument reports an argument that no driver accepts or that
	// this driver cannot store. Every *ArgumentError matches it.
	ErrInvalidArgument = errors.New("session: invalid argument")
	// ErrTooLarge reports a value or key over a driver's size limit. It is a
	// kind of invalid argument: an error matching it also matches
	// ErrInvalidArgument.
	ErrTooLarge = errors.New("session: over the size limit")
	// ErrCorruptIndex reports an index holding bytes that are not index
	// entries (a torn or foreign write). ReadMetadata still returns every
	// well-formed entry beside it, and the next write to that index repairs
	// it.
	ErrCorruptIndex = errors.New("session: corrupt index")
	// ErrFull reports a store that holds as many entries as it was allowed
	// to and had nothing expired to make room.
	ErrFull = errors.New("session: storage full")
	// ErrClosed reports a call on a Storage after Close.
	ErrClosed = errors.New("session: storage closed")
)

// ArgumentError describes one invalid argument. It names the argument and
// the rule it broke, never the argument's value. Drivers build it through
// the session/driver toolkit, so that all of them report the same inputs the
// same way.
type ArgumentError struct {
	// Arg is the argument's name: "name", "key", "value", "ttl",
	// "opts.OldKey", "opts.StaleTTL", "metadata[1].Subject", …
	Arg string
	// Reason says which rule was broken, e.g. "must not be empty".
	Reason string
	// Limit is the limit that was exceeded, in bytes, for ErrTooLarge
	// errors; zero otherwise.
	Limit int
}

// Error implements error.
func (e *ArgumentError) Error() string {
	if e.Limit > 0 {
		return "session: invalid " + e.Arg + ": " + e.Reason + " (limit " + strconv.Itoa(e.Limit) + " bytes)"
	}
	return "session: invalid " + e.Arg + ": " + e.Reason
}

// Is makes errors.Is see ErrInvalidArgument, and ErrTooLarge when a limit
// was exceeded.
func (e *ArgumentError) Is(target error) bool {
	return target == ErrInvalidArgument || (e.Limit > 0 && target == ErrTooLarge)
}
