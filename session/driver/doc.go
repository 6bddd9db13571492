// Package driver is the toolkit for authors of session storage drivers, as
// database/sql/driver is for SQL drivers: applications use package session
// (the Storage interface, its options and errors, RevokeAll); drivers use
// this package besides, so that every driver checks the same arguments the
// same way, names its items as lua-resty-session does, and computes the same
// expiries.
//
// It holds:
//
//   - Planner: one call per Storage method that checks the arguments and
//     returns a plan (item names, the listed expiry, the rotated-away key's
//     grace period) for the driver to carry out, in the write order the plan
//     documents. The Check functions, Invalid and TooLarge are the rules and
//     errors it is built from, for a driver's own limits.
//   - Naming: the item names of contract section 3, shared with
//     lua-resty-session (audience and subject base64url-encoded).
//   - ExpiryUnix and CeilSeconds: the rounding every driver applies.
//   - The index codec (AppendIndexEntry, LiveIndex, …): lua-resty-session's
//     index item, for drivers that keep indexes as strings.
//   - Endpoint and EndpointReporter: what instrumentation learns of a driver.
//   - ManualClock: a clock for tests.
//
// A driver method then reads:
//
//	func (s *Store) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
//		p, err := s.planner.Set(ctx, name, key, value, ttl, now, opts)
//		if err != nil {
//			return fmt.Errorf("mystore: set: %w", err)
//		}
//		// 1. write p.Value under p.Item() for p.TTL
//		// 2. for each i: p.Key live until p.Expiry in p.IndexItem(i), p.Rotation.Key out
//		// 3. p.OldItem(): deleted (p.Rotation.Remember) or shortened to p.Rotation.StaleTTL
//		return nil
//	}
//
// Errors: wrap the session sentinels with fmt.Errorf("…: %w", err) so that
// errors.Is sees session.ErrNotFound and the others, and never put a session
// key or value into an error, log line, span or metric: a session key is a
// bearer credential. examples/mapdriver is a complete small driver built
// this way; the conformance package proves a driver in one call.
package driver
