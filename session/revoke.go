package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// RevokeAll deletes every live session indexed under (name, audience,
// subject) — "log out everywhere" — and returns how many it deleted. It uses
// only the Storage interface, so it works with every driver.
//
// Each key is deleted with the pair as its metadata, so it also leaves this
// index. A session that was indexed under further pairs stays listed under
// those until it expires, although it no longer exists; pass those pairs to
// Delete yourself where that matters. RevokeAll goes on past a failed delete
// and returns the failures joined, so one bad key does not keep the others
// alive; a cancelled ctx stops it. An index reported damaged
// (ErrCorruptIndex) still has its well-formed entries revoked, and those
// deletes repair it; the damage is then not an error.
//
// A key rotated away less than its StaleTTL ago is no longer listed and so
// is not revoked; it ends by itself at most StaleTTL later.
func RevokeAll(ctx context.Context, s Storage, name, audience, subject string, now time.Time) (int, error) {
	switch {
	case ctx == nil:
		return 0, fmt.Errorf("session: revoke all: %w", &ArgumentError{Arg: "ctx", Reason: "must not be nil"})
	case s == nil:
		return 0, fmt.Errorf("session: revoke all: %w", &ArgumentError{Arg: "s", Reason: "must not be nil"})
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("session: revoke all: %w", err)
	}
	live, err := s.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil && !(errors.Is(err, ErrCorruptIndex) && live != nil) {
		return 0, fmt.Errorf("session: revoke all: %w", err)
	}
	md := []Pair{{Audience: audience, Subject: subject}}
	var errs []error
	n := 0
	for _, key := range slices.Sorted(maps.Keys(live)) {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("session: revoke all: %w", err))
			break
		}
		if err := s.Delete(ctx, name, key, now, md); err != nil {
			errs = append(errs, fmt.Errorf("session: revoke all: delete: %w", err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
