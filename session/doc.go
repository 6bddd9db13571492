// Package session is the storage API for web sessions that applications
// use: the Storage interface every driver implements, its options and
// errors, and RevokeAll ("log out everywhere").
//
// It ports the storage layer of lua-resty-session (OpenResty's session
// library) to Go. Besides get, set and delete, a Storage keeps two things
// most Go session stores lack:
//
//   - rotation with a stale grace period: Set with SetOptions.OldKey stores the
//     new session and keeps the old one readable for SetOptions.StaleTTL, so
//     requests already in flight with the old cookie keep working;
//   - a per-(audience, subject) index: Set with SetOptions.Metadata records the
//     session under each pair, ReadMetadata lists a subject's live sessions,
//     and RevokeAll deletes them all.
//
// Drivers live in their own packages (drivers/memory, drivers/memcached, …)
// and are built with the toolkit in session/driver; the conformance package
// tests any driver against this contract in one call; the tracing package
// wraps any Storage with OpenTelemetry spans.
//
// Use:
//
//	store := memory.New()
//	defer store.Close()
//	now := time.Now()
//	alice := []session.Pair{{Audience: "default", Subject: "alice"}}
//	err := store.Set(ctx, "session", key, value, time.Hour, now,
//		session.SetOptions{Metadata: alice})
//	…
//	value, err := store.Get(ctx, "session", key)
//	if errors.Is(err, session.ErrNotFound) { /* no such session */ }
//	…
//	err = store.Set(ctx, "session", newKey, value, time.Hour, now,
//		session.SetOptions{OldKey: key, Metadata: alice})
//	live, err := store.ReadMetadata(ctx, "session", "default", "alice", now)
//	n, err := session.RevokeAll(ctx, store, "session", "default", "alice", now)
//
// Errors match the sentinels of this package with errors.Is. None contains a
// session key or value: a session key is a bearer credential, so validate
// what a client sends (a cookie) before using it as a key, and never log it.
package session
