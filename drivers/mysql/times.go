package mysql

// maxLuaTime is the latest Unix second FROM_UNIXTIME takes on every server
// the driver runs on (MariaDB before 11.5: 2038-01-19 03:14:07 UTC; MySQL
// 8.0.28 and later take more). lua-resty-session's exp is a DATETIME
// written through FROM_UNIXTIME, which turns a later time into NULL: a
// session stored with it would never be live.
const maxLuaTime = 1<<31 - 1

// luaTime clamps a time in Unix seconds to what FROM_UNIXTIME takes. The
// clamps keep every comparison the driver makes: an expiry clamped to the
// maximum still lies after every now before it, and no now is earlier
// than 1970 in practice. OwnTables keep Unix seconds in a BIGINT and need
// no clamp.
func luaTime(sec int64) int64 {
	switch {
	case sec < 0:
		return 0
	case sec > maxLuaTime:
		return maxLuaTime
	}
	return sec
}
