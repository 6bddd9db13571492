package app

import "time"

// ManualClock lets the tests share the walkthrough's clock.
type ManualClock = manualClock

// NewManualClock returns a clock that stands at t until it is advanced.
func NewManualClock(t time.Time) *ManualClock { return &manualClock{t: t} }
