package scsstore

import "time"

// SetClock replaces the clock Commit and Delete measure expiries against,
// so that boundary tests need no sleeps.
func (s *Store) SetClock(now func() time.Time) { s.now = now }
