package postgres

import "time"

// PostgreSQL's timestamps run from 4713 BC to 294276 AD; pgx's encoding
// overflows a little beyond. Times outside are clamped to these bounds
// (a little inside the server's), which keeps every comparison the driver
// makes: an expiry clamped to the maximum still lies after every now, a
// now clamped to the minimum before every expiry.
var (
	minTime = time.Date(-4700, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(294000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// pgTime returns t clamped to the range PostgreSQL stores.
func pgTime(t time.Time) time.Time {
	switch {
	case t.Before(minTime):
		return minTime
	case t.After(maxTime):
		return maxTime
	}
	return t
}

// unixTime is an expiry in Unix seconds as a timestamp, clamped.
func unixTime(sec int64) time.Time {
	switch {
	case sec < minTime.Unix():
		return minTime
	case sec > maxTime.Unix():
		return maxTime
	}
	return time.Unix(sec, 0)
}

// wholeSecond rounds an expiry read from a table up to the whole second:
// this driver writes whole seconds, and a row written by someone else with
// a fraction is live until that fraction has passed.
func wholeSecond(t time.Time) time.Time {
	sec := t.Unix()
	if t.Nanosecond() != 0 {
		sec++
	}
	return time.Unix(sec, 0)
}
