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
//     never longer than its last entry; an index left without a live entry
//     is deleted.
//
// It reads first and writes after, in an order where only the last write
// can delete the index: while its slot migrates between Cluster nodes, a
// script may touch a key only while the key exists on the node running it
// (Redis sends a command for a missing key to the slot's new node, and a
// script cannot follow: "Script attempted to access a non local key").
var luaIndex = `
local function index(k, now, nowms, add, score, gt, rem)
  local t = redis.call('TYPE', k)['ok']
  if t ~= 'zset' and t ~= 'none' then
    redis.call('UNLINK', k)
    if add == '' then
      return false
    end
  end
  local prev = false
  if rem ~= '' and t == 'zset' then
    prev = redis.call('ZSCORE', k, rem)
  end
  -- The greatest live score once add is in and rem is out: the top three
  -- live entries hold one that is neither add nor rem, if any is left.
  local top = false
  local n = tonumber(now)
  if add ~= '' and tonumber(score) > n then
    top = tonumber(score)
    if gt == '1' and t == 'zset' then
      local old = redis.call('ZSCORE', k, add)
      if old and tonumber(old) > top then
        top = tonumber(old)
      end
    end
  end
  if t == 'zset' then
    local r = redis.call('ZRANGE', k, '` + strconv.FormatInt(maxScore, 10) + `', '(' .. now, 'BYSCORE', 'REV', 'LIMIT', 0, 3, 'WITHSCORES')
    for i = 1, #r, 2 do
      if r[i] ~= add and r[i] ~= rem then
        local sc = tonumber(r[i + 1])
        if not top or sc > top then
          top = sc
        end
        break
      end
    end
  end
  if not top then
    if t == 'zset' then
      redis.call('UNLINK', k)
    end
    return prev
  end
  if add ~= '' then
    if gt == '1' then
      redis.call('ZADD', k, 'GT', score, add)
    else
      redis.call('ZADD', k, score, add)
    end
  end
  if prev then
    redis.call('ZREM', k, rem)
  end
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', k, '(` + strconv.FormatInt(maxScore, 10) + `', '+inf')
  local ms = top * 1000 - tonumber(nowms)
  if ms < 1 then
    ms = 1
  end
  redis.call('PEXPIRE', k, string.format('%d', math.ceil(ms)))
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
