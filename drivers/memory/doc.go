// Package memory is an in-memory session.Storage: the whole storage contract
// in one process, for applications' own unit tests and single-process use.
//
// It keeps everything in one process: sessions in 64 shards, each with its
// own lock, so parallel requests rarely contend; one index per (cookie name,
// audience, subject). Expiry is checked on every read against the Store's
// clock (WithClock injects a fake one, so TTL tests need no sleeps), and one
// background goroutine per Store frees expired entries (WithSweepInterval).
// WithMaxEntries caps the number of sessions: a full Store fails Set with
// session.ErrFull rather than evicting live sessions. Close stops the sweeper
// (a Store dropped without Close has it stopped when the garbage collector
// reclaims the Store, but Close says when).
//
// Values are copied on Set and on Get, so callers may reuse their buffers.
// Sessions live as long as the process; nothing is persisted or shared
// between processes, so use a networked driver (drivers/memcached) when
// several instances serve the same users.
//
// Use:
//
//	store := memory.New()
//	defer store.Close()
//
//	alice := []session.Pair{{Audience: "default", Subject: "alice"}}
//	err := store.Set(ctx, "session", key, value, time.Hour, time.Now(),
//		session.SetOptions{Metadata: alice})
//	value, err = store.Get(ctx, "session", key)
//	if errors.Is(err, session.ErrNotFound) {
//		// no such session, or it expired
//	}
//
// In tests, inject a clock:
//
//	now := time.Unix(1700000000, 0)
//	store := memory.New(memory.WithClock(func() time.Time { return now }),
//		memory.WithSweepInterval(0)) // the sweeper would read now from its own goroutine
//	// … Set with ttl time.Minute, then now = now.Add(time.Minute): Get reports ErrNotFound.
//
// Index entries expire by the now passed to Set and ReadMetadata, session
// items by the Store's clock; keep the two in step in tests.
package memory
