// Package scsstore makes any session.Storage a session store of
// github.com/alexedwards/scs/v2, the session manager many Go apps already
// use: every driver of this repository (memory, memcached, Redis,
// PostgreSQL, MySQL/MariaDB) and a Storage wrapped by the tracing package,
// with no other change to an app.
//
// Store implements scs.Store and scs.CtxStore. Each scs call is one Storage
// call under one cookie name (WithCookieName, default "session"):
//
//   - Find is Get: a token not stored, expired, or that no Storage accepts
//     as a key (a tampered cookie) is found == false with a nil error, as
//     scs requires; every other error is a failure of the Storage.
//   - Commit is Set with the TTL left until scs's expiry; an expiry already
//     past deletes the session instead.
//   - Delete is Delete; a missing token is no error.
//
// Errors are wrapped ("scsstore: find: …") and keep the Storage's chain,
// so errors.Is still matches session.ErrClosed, session.ErrInvalidArgument,
// context.Canceled and the driver's own errors. None contains the token.
//
// Use:
//
//	storage := memory.New() // or memcached.New(cfg), tracing.New(…), …
//	defer storage.Close()   // the Store does not own its Storage
//	sm := scs.New()
//	sm.Store = scsstore.New(storage)
//	http.ListenAndServe(addr, sm.LoadAndSave(mux))
//
// # The per-user index
//
// scs itself can only find a user's sessions by decoding every session
// (SessionManager.Iterate). The Storage keeps an index per (audience,
// subject) instead, and WithMetadata fills it: given a MetadataFunc that
// reads the user from a session's encoded value (with the manager's Codec),
// every Commit indexes the session under that user, with the session's own
// expiry, and every Delete takes it out again. Then, beside scs:
//
//	live, err := storage.ReadMetadata(ctx, store.CookieName(), "app", userID, time.Now())
//	n, err := session.RevokeAll(ctx, storage, store.CookieName(), "app", userID, time.Now()) // log out everywhere
//
// The keys ReadMetadata lists are scs tokens (their hashes with
// SessionManager.HashTokenInStore): bearer credentials, so show a user a
// fingerprint of them, never the tokens. Call RenewToken on every login and
// logout, as scs advises anyway: a token then belongs to one user for its
// whole life, and the index never lists it under a former one.
//
// The pairs come from the value, not from the request's context, because
// scs calls the store while it holds the session's lock (reading the session
// through the SessionManager there deadlocks) and with the context that
// LoadAndSave made before the handler ran (who just logged in is not in it).
// The cost is one decode per Commit, and one Get before each Delete.
//
// RevokeAll ends every session it lists, but scs writes a whole session back
// at the end of a request that changed it: a request that loaded one of
// those sessions before the revocation and commits after it stores it again.
// Where that window matters, also check, on each request, a per-user
// "revoked before" time of your own.
//
// # What scs does not get
//
// Store is not an scs.IterableStore: All would need a scan of every session,
// which the Storage contract deliberately has no operation for: it would
// not scale, and memcached cannot list its keys. SessionManager.Iterate therefore
// panics with this Store; use the index instead.
//
// scs's RenewToken deletes the old token at once, so the Storage's stale
// grace period after a rotation (session.SetOptions.OldKey) is not used
// through scs, and neither is Storage.Close: close the Storage yourself.
// The values are scs's encoding (gob by default), not lua-resty-session's:
// an OpenResty app sharing the memcached sees the same keys and indexes but
// cannot read the sessions.
package scsstore
