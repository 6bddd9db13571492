package session

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The Check functions hold the argument rules every driver shares (contract
// section 2.13), so that no driver re-implements them and all drivers reject
// the same inputs with the same errors. A driver calls the one matching each
// operation before it touches its backend, then adds its own limits with
// CheckValueSize and TooLarge.

// CheckContext reports a nil context as an invalid argument and a done
// context as an error that wraps ctx.Err().
func CheckContext(ctx context.Context) error {
	if ctx == nil {
		return invalid("ctx", "must not be nil")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// CheckSet checks the arguments of Storage.Set.
func CheckSet(name, key string, ttl time.Duration, opts SetOptions) error {
	if err := checkNameKey(name, key); err != nil {
		return err
	}
	if ttl <= 0 {
		return invalid("ttl", "must be positive")
	}
	if opts.StaleTTL < 0 {
		return invalid("opts.StaleTTL", "must not be negative")
	}
	if opts.OldKey != "" && opts.OldKey == key {
		return invalid("opts.OldKey", "must differ from key")
	}
	if err := checkMetadata(opts.Metadata); err != nil {
		return err
	}
	if len(opts.Metadata) > 0 {
		if !IndexableKey(key) {
			return invalid("key", "must not contain ':' or ';' when metadata is given")
		}
		if opts.OldKey != "" && !IndexableKey(opts.OldKey) {
			return invalid("opts.OldKey", "must not contain ':' or ';' when metadata is given")
		}
	}
	return nil
}

// CheckGet checks the arguments of Storage.Get.
func CheckGet(name, key string) error {
	return checkNameKey(name, key)
}

// CheckDelete checks the arguments of Storage.Delete.
func CheckDelete(name, key string, metadata []Pair) error {
	if err := checkNameKey(name, key); err != nil {
		return err
	}
	if err := checkMetadata(metadata); err != nil {
		return err
	}
	if len(metadata) > 0 && !IndexableKey(key) {
		return invalid("key", "must not contain ':' or ';' when metadata is given")
	}
	return nil
}

// CheckReadMetadata checks the arguments of Storage.ReadMetadata.
func CheckReadMetadata(name, audience, subject string) error {
	switch {
	case name == "":
		return invalid("name", "must not be empty")
	case audience == "":
		return invalid("audience", "must not be empty")
	case subject == "":
		return invalid("subject", "must not be empty")
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
// lua-resty-session index format delimits entries with ':' and ';'.
func IndexableKey(key string) bool {
	return strings.IndexAny(key, ":;") < 0
}

func checkNameKey(name, key string) error {
	if name == "" {
		return invalid("name", "must not be empty")
	}
	if key == "" {
		return invalid("key", "must not be empty")
	}
	return nil
}

func checkMetadata(md []Pair) error {
	for i, p := range md {
		if p.Audience == "" {
			return invalid("metadata["+strconv.Itoa(i)+"].Audience", "must not be empty")
		}
		if p.Subject == "" {
			return invalid("metadata["+strconv.Itoa(i)+"].Subject", "must not be empty")
		}
	}
	return nil
}

// ExpiryUnix returns the index expiry of a session stored at now for ttl:
// now+ttl in whole Unix seconds, a fraction of a second of ttl rounded up so
// that a short TTL never becomes "already expired".
func ExpiryUnix(now time.Time, ttl time.Duration) int64 {
	return now.Unix() + CeilSeconds(ttl)
}

// CeilSeconds returns d in whole seconds, rounded up; zero or less for d ≤ 0.
func CeilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return int64(d / time.Second)
	}
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}
