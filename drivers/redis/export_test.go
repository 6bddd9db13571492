package redis

// Internals exported for the external tests of this package.

// IndexKey is the Redis key of the index of (name, audience, subject).
func (s *Storage) IndexKey(name, audience, subject string) string {
	return s.planner.Naming.IndexItem(name, audience, subject)
}

// SessionKey is the Redis key of session (name, key).
func (s *Storage) SessionKey(name, key string) string {
	return s.planner.Naming.SessionItem(name, key)
}

// CeilMillis is ceilMillis.
var CeilMillis = ceilMillis

// Classify is classify.
var Classify = classify

// MaxScore is maxScore.
const MaxScore = maxScore

// InFlight is how many calls the Storage has admitted and not finished.
func (s *Storage) InFlight() int64 { return s.inflight.Load() }
