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
// alive; a cancelled ctx stops it.
func RevokeAll(ctx context.Context, s Storage, name, audience, subject string, now time.Time) (int, error) {
	if err := CheckContext(ctx); err != nil {
		return 0, fmt.Errorf("session: revoke all: %w", err)
	}
	if s == nil {
		return 0, fmt.Errorf("session: revoke all: %w", invalid("s", "must not be nil"))
	}
	live, err := s.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
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
