package redis_test

import (
	"context"
	"crypto/sha256"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// luaNode does what lua-resty-session 4.x does to Redis (lib/resty/session/redis/common.lua,
// shared by its redis, redis-cluster and redis-sentinel storages), command for command,
// with a RESP2 client as lua-resty-redis is. The tests use it to check that a Go service
// and an OpenResty service share one Redis: each reads what the other writes.
//
// Like session.lua, it takes the audience and subject already encoded (base64url, or the
// hash with hash_subject); the Go driver takes them plain and encodes them itself.
type luaNode struct {
	raw    goredis.UniversalClient
	prefix string
}

// luaPair is one (audience, subject) as session.lua hands it to the storage.
type luaPair struct{ aud, sub string }

// luaEncode is session.lua's get_store_metadata encoding of a plain pair.
func luaEncode(aud, sub string, hashSubject bool) luaPair {
	if hashSubject {
		sum := sha256.Sum256([]byte(sub))
		return luaPair{b64.EncodeToString([]byte(aud)), b64.EncodeToString(sum[:16])}
	}
	return luaPair{b64.EncodeToString([]byte(aud)), b64.EncodeToString([]byte(sub))}
}

// name is utils.get_name: prefix:name:key (no suffix in these tests).
func (l luaNode) name(name, key string) string {
	if l.prefix == "" {
		return name + ":" + key
	}
	return l.prefix + ":" + name + ":" + key
}

// metaKey is utils.meta_get_key: prefix:name:aud:sub.
func (l luaNode) metaKey(name string, p luaPair) string {
	return l.name(name, p.aud+":"+p.sub)
}

// set is common.lua's SET (the 4.0–4.1.4 signature, with remember).
func (l luaNode) set(ctx context.Context, name, key string, value []byte, ttl, now int64, oldKey string, staleTTL int64, md []luaPair, remember bool) error {
	if md == nil && oldKey == "" {
		return l.raw.Set(ctx, l.name(name, key), value, time.Duration(ttl)*time.Second).Err()
	}
	var oldName string
	oldTTL := int64(-3) // nil in Lua: no TTL read
	if oldKey != "" {
		oldName = l.name(name, oldKey)
		if !remember {
			d, err := l.raw.Do(ctx, "ttl", oldName).Int64() // a round trip of its own
			if err != nil {
				return err
			}
			oldTTL = d
		}
	}
	pipe := l.raw.Pipeline()
	pipe.Do(ctx, "set", l.name(name, key), value, "EX", ttl)
	if oldName != "" {
		if remember {
			pipe.Do(ctx, "unlink", oldName)
		} else if oldTTL == -3 || oldTTL > staleTTL {
			pipe.Do(ctx, "expire", oldName, staleTTL)
		}
	}
	for _, p := range md {
		k := l.metaKey(name, p)
		pipe.Do(ctx, "zremrangebyscore", k, 0, now-1)
		pipe.Do(ctx, "zadd", k, now+ttl, key)
		if oldKey != "" {
			pipe.Do(ctx, "zrem", k, oldKey)
		}
		pipe.Do(ctx, "expire", k, ttl)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// get is common.lua's GET; nil for a miss.
func (l luaNode) get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := l.raw.Get(ctx, l.name(name, key)).Bytes()
	if err == goredis.Nil {
		return nil, nil
	}
	return v, err
}

// unlink is common.lua's UNLINK (Delete).
func (l luaNode) unlink(ctx context.Context, name, key string, now int64, md []luaPair) error {
	if md == nil {
		return l.raw.Unlink(ctx, l.name(name, key)).Err()
	}
	pipe := l.raw.Pipeline()
	pipe.Do(ctx, "unlink", l.name(name, key))
	for _, p := range md {
		k := l.metaKey(name, p)
		pipe.Do(ctx, "zremrangebyscore", k, 0, now-1)
		pipe.Do(ctx, "zrem", k, key)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// readMetadata is common.lua's READ_METADATA: { [key] = score as the string Redis sent }.
func (l luaNode) readMetadata(ctx context.Context, name string, p luaPair, now int64) (map[string]string, error) {
	v, err := l.raw.Do(ctx, "zrange", l.metaKey(name, p), now, "+inf", "BYSCORE", "WITHSCORES").Slice()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i := 0; i+1 < len(v); i += 2 {
		k, _ := v[i].(string)
		s, _ := v[i+1].(string)
		out[k] = s
	}
	return out, nil
}

// itoa is strconv.FormatInt in base 10.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// goredisZ is a sorted-set member for ZAdd.
func goredisZ(score float64, member string) goredis.Z { return goredis.Z{Score: score, Member: member} }
