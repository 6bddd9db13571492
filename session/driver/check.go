package driver

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// The Check functions hold the argument rules every driver shares (contract
// 2.13 and section 3), so that no driver re-implements them and all drivers
// reject the same inputs with the same errors. The Planner calls them; a
// driver that does not use a Planner calls the one matching each operation
// before it touches its backend, then adds its own limits with
// CheckValueSize, TooLarge and Invalid.

// CheckContext reports a nil context as an invalid argument and a done
// context as an error that wraps ctx.Err().
func CheckContext(ctx context.Context) error {
	if ctx == nil {
		return Invalid("ctx", "must not be nil")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// CheckSet checks the arguments of Storage.Set.
func CheckSet(name, key string, ttl time.Duration, opts session.SetOptions) error {
	if err := checkNameKey(name, key); err != nil {
		return err
	}
	if ttl <= 0 {
		return Invalid("ttl", "must be positive")
	}
	if opts.StaleTTL < 0 {
		return Invalid("opts.StaleTTL", "must not be negative")
	}
	if opts.OldKey != "" {
		if opts.OldKey == key {
			return Invalid("opts.OldKey", "must differ from key")
		}
		if strings.IndexByte(opts.OldKey, ':') >= 0 {
			return Invalid("opts.OldKey", "must not contain ':'")
		}
	}
	if err := checkMetadata(opts.Metadata); err != nil {
		return err
	}
	if len(opts.Metadata) > 0 {
		if !IndexableKey(key) {
			return Invalid("key", "must not contain ';' when metadata is given")
		}
		if opts.OldKey != "" && !IndexableKey(opts.OldKey) {
			return Invalid("opts.OldKey", "must not contain ';' when metadata is given")
		}
	}
	return nil
}

// CheckGet checks the arguments of Storage.Get.
func CheckGet(name, key string) error {
	return checkNameKey(name, key)
}

// CheckDelete checks the arguments of Storage.Delete.
func CheckDelete(name, key string, metadata []session.Pair) error {
	if err := checkNameKey(name, key); err != nil {
		return err
	}
	if err := checkMetadata(metadata); err != nil {
		return err
	}
	if len(metadata) > 0 && !IndexableKey(key) {
		return Invalid("key", "must not contain ';' when metadata is given")
	}
	return nil
}

// CheckReadMetadata checks the arguments of Storage.ReadMetadata.
func CheckReadMetadata(name, audience, subject string) error {
	if err := checkName(name); err != nil {
		return err
	}
	switch {
	case audience == "":
		return Invalid("audience", "must not be empty")
	case subject == "":
		return Invalid("subject", "must not be empty")
	}
	return nil
}

// CheckValueSize reports a value longer than limit bytes as ErrTooLarge.
// A limit of zero or less means no limit.
func CheckValueSize(value []byte, limit int) error {
	if limit > 0 && len(value) > limit {
		return TooLarge("value", limit)
	}
	return nil
}

// IndexableKey reports whether key can be written into an index: the
// lua-resty-session index format ends entries with ';' (and ':' is refused
// in every key).
func IndexableKey(key string) bool {
	return strings.IndexAny(key, ":;") < 0
}

// Invalid returns the error for an argument that breaks a rule, for a rule
// of a driver's own (a backend that cannot store some byte, say). reason
// says what the rule is; it must not quote the argument.
func Invalid(arg, reason string) error {
	return &session.ArgumentError{Arg: arg, Reason: reason}
}

// TooLarge returns the error for arg being over limit bytes. Drivers use it
// for their own limits (item size, key length on the wire) so that every
// driver reports limits the same way.
func TooLarge(arg string, limit int) error {
	return &session.ArgumentError{Arg: arg, Reason: "too large", Limit: limit}
}

// checkName enforces section 3 on a cookie name: not empty, no ':'.
func checkName(name string) error {
	if name == "" {
		return Invalid("name", "must not be empty")
	}
	if strings.IndexByte(name, ':') >= 0 {
		return Invalid("name", "must not contain ':'")
	}
	return nil
}

func checkNameKey(name, key string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if key == "" {
		return Invalid("key", "must not be empty")
	}
	if strings.IndexByte(key, ':') >= 0 {
		return Invalid("key", "must not contain ':'")
	}
	return nil
}

func checkMetadata(md []session.Pair) error {
	for i, p := range md {
		if p.Audience == "" {
			return Invalid("metadata["+strconv.Itoa(i)+"].Audience", "must not be empty")
		}
		if p.Subject == "" {
			return Invalid("metadata["+strconv.Itoa(i)+"].Subject", "must not be empty")
		}
	}
	return nil
}
