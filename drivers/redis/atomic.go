package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/sessionstore/sessionstore/session/driver"
)

// The single-server and Sentinel paths: every operation is one atomic
// round trip (a plain command, or a script that go-redis sends as EVALSHA
// and, the first time a server sees it, again as EVAL), so no interleaving
// of concurrent calls can observe a session without its index entry.

// atomicSet stores p in one round trip.
func (s *Storage) atomicSet(ctx context.Context, p *driver.SetPlan) error {
	var buf [128]byte
	item := string(p.AppendItem(buf[:0]))
	ttl := time.Duration(ceilMillis(p.TTL)) * time.Millisecond
	if p.Rotation.Key == "" && len(p.Metadata) == 0 {
		return errorf(ctx, "set", s.client.Set(ctx, item, p.Value, ttl).Err())
	}
	keys := make([]string, 0, 2+len(p.Metadata))
	keys = append(keys, item)
	if p.Rotation.Key != "" {
		keys = append(keys, p.OldItem())
	}
	for i := range p.Metadata {
		keys = append(keys, p.IndexItem(i))
	}
	remember := "0"
	if p.Rotation.Remember {
		remember = "1"
	}
	err := setScript.Run(ctx, s.client, keys,
		p.Value,
		ceilMillis(p.TTL),
		p.Now.Unix(),
		p.Now.UnixMilli(),
		p.Key,
		p.Expiry,
		p.Rotation.Key,
		staleMillis(p),
		remember,
	).Err()
	return errorf(ctx, "set", err)
}

// atomicDelete deletes p's session and its index entries in one round trip.
func (s *Storage) atomicDelete(ctx context.Context, p *driver.DeletePlan) error {
	keys := make([]string, 0, 1+len(p.Metadata))
	keys = append(keys, p.Item())
	for i := range p.Metadata {
		keys = append(keys, p.IndexItem(i))
	}
	err := deleteScript.Run(ctx, s.client, keys, p.Key, p.Now.Unix(), p.Now.UnixMilli()).Err()
	return errorf(ctx, "delete", err)
}

// ceilMillis returns d in whole milliseconds, rounded up: Redis counts a
// TTL in milliseconds (PX), and a session must never end before its TTL.
func ceilMillis(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond > 0 {
		ms++
	}
	return ms
}

// staleMillis is the old key's grace period in milliseconds (at least 1:
// PEXPIRE 0 would delete it at once, which is Remember's job).
func staleMillis(p *driver.SetPlan) int64 {
	return max(ceilMillis(p.Rotation.StaleTTL), 1)
}

// formatInt is strconv.FormatInt in base 10.
func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
