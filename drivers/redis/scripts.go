package redis

import (
	"strconv"

	goredis "github.com/redis/go-redis/v9"
)

// maxScore is the largest index score (Unix seconds) taken for an expiry:
// the end of the year 9999. Larger scores (+inf among them) are damage, a
// torn or foreign write; writers prune them and readers skip them.
const maxScore = 253402300799

// The server-side scripts. Each runs atomically, so on a single server and
// behind Sentinel every write is one round trip that no other client can
// observe half done (contract 2.17 holds trivially). On a Cluster the
// session and its indexes live in different slots (lua-resty-session's
// names carry no hash tags, and the names are shared with it), so a script
// can only touch one of them: indexScript runs once per index and the
// driver orders the steps (cluster.go).
//
// The "#!lua" line makes Redis 7 check the script as a whole before it
// runs (an out-of-memory server refuses it instead of failing half way),
// and it is why the driver needs Redis 7.0 or newer, as PEXPIRE … LT does.
//
// Arguments are strings; numbers are whole seconds or milliseconds written
// by strconv, and string.format('%d') writes numbers back so that Lua never
// turns a large one into exponent notation.

// luaIndex updates one sorted-set index (lua-resty-session's layout: member
// = session key, score = expiry in Unix seconds):
//
//   - an item of another type at the index's name is damage that lists
//     nothing: it is replaced (contract 2.19, the write repairs it);
//   - entries dead at now (score ≤ now, contract 2.8) and implausible ones
//     (score > maxScore, e.g. +inf from a foreign write) are pruned, which
//     keeps the index bounded (2.12);
//   - add is listed until score (last write wins; with gt only if later:
//     the undo of a failed Cluster step must not shorten a newer entry);
//   - rem is taken out, and its score returned (the Cluster undo needs it);
//   - the index lives until its greatest score, counted from the caller's
//     now like the session's own TTL: never shorter than a live entry (a
//     short session never hides longer ones, unlike Lua's EXPIRE idx ttl),
//     never longer than its last entry.
var luaIndex = `
local function index(k, now, nowms, add, score, gt, rem)
  local t = redis.call('TYPE', k)['ok']
  if t ~= 'zset' and t ~= 'none' then
    redis.call('UNLINK', k)
  end
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', k, '(` + strconv.FormatInt(maxScore, 10) + `', '+inf')
  if add ~= '' then
    if gt == '1' then
      redis.call('ZADD', k, 'GT', score, add)
    else
      redis.call('ZADD', k, score, add)
    end
  end
  local prev = false
  if rem ~= '' then
    prev = redis.call('ZSCORE', k, rem)
    if prev then
      redis.call('ZREM', k, rem)
    end
  end
  local top = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  if top[2] then
    local ms = tonumber(top[2]) * 1000 - tonumber(nowms)
    if ms < 1 then
      ms = 1
    end
    redis.call('PEXPIRE', k, string.format('%d', math.ceil(ms)))
  end
  return prev
end
`

// setScript is a whole Set on one server.
//
//	KEYS: session item, [old item,] index items
//	ARGV: value, px, now, nowms, key, expiry, old key ('' for none), stale ms, remember ('1')
//
// A rotated-away key is only ever shortened: PEXPIRE … LT leaves a key that
// expires sooner alone, and never creates a missing one. A key without a
// TTL (never written by this driver or by Lua) counts as living forever, so
// it is shortened to the grace period (Lua skips it and leaves it readable
// for good).
var setScript = goredis.NewScript("#!lua\n" + luaIndex + `
local first = 2
if ARGV[7] ~= '' then
  first = 3
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = first, #KEYS do
  index(KEYS[i], ARGV[3], ARGV[4], ARGV[5], ARGV[6], '0', ARGV[7])
end
if ARGV[7] ~= '' then
  if ARGV[9] == '1' then
    redis.call('UNLINK', KEYS[2])
  else
    redis.call('PEXPIRE', KEYS[2], ARGV[8], 'LT')
  end
end
return 0
`)

// deleteScript is a whole Delete with metadata on one server.
//
//	KEYS: session item, index items
//	ARGV: key, now, nowms
var deleteScript = goredis.NewScript("#!lua\n" + luaIndex + `
for i = 2, #KEYS do
  index(KEYS[i], ARGV[2], ARGV[3], '', '', '0', ARGV[1])
end
redis.call('UNLINK', KEYS[1])
return 0
`)

// indexScript updates one index (a Cluster step).
//
//	KEYS: index item
//	ARGV: now, nowms, add ('' for none), score, gt ('1'), rem ('' for none)
//
// It returns rem's previous score (a string), or nil when rem was not
// listed.
var indexScript = goredis.NewScript("#!lua\n" + luaIndex + `
return index(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
`)
