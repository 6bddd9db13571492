package redisbench

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
	ours "github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// BenchmarkRedisOurs measures what only our driver does: a rotation (Set with OldKey)
// with one index pair, next to lua-resty-session's commands for the same rotation (a
// TTL read, then a pipeline: SET, EXPIRE of the old key, ZREMRANGEBYSCORE, ZADD, ZREM,
// EXPIRE of the index); ReadMetadata of a subject with 10, 100 and 1,000 live
// sessions; and Delete with metadata. trips/op is the round trips per operation.
func BenchmarkRedisOurs(b *testing.B) {
	addr := redisAddr(b)
	b.Run("driver=redis/op=Rotate1Pair", func(b *testing.B) { benchRotate(b, addr) })
	b.Run("driver=lua-resty-session/op=Rotate1Pair", func(b *testing.B) { benchLuaRotate(b, addr) })
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("driver=redis/op=ReadMetadata/sessions=%d", n), func(b *testing.B) { benchReadMetadata(b, addr, n) })
	}
	b.Run("driver=redis/op=DeleteWithMetadata", func(b *testing.B) { benchDelete(b, addr) })
}

// trips counts round trips: commands and pipelines.
type trips struct{ n atomic.Int64 }

func (t *trips) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (t *trips) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		switch cmd.Name() {
		case "hello", "client", "auth", "select": // connection handshakes
		default:
			t.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (t *trips) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if cmds[0].Name() != "hello" {
			t.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

func (t *trips) report(b *testing.B, start int64) {
	b.ReportMetric(float64(t.n.Load()-start)/float64(b.N), "trips/op")
}

// counted returns our Storage on a client whose round trips tr counts.
func counted(b *testing.B, addr string) (*ours.Storage, *trips) {
	c := newGoredis(addr)
	tr := &trips{}
	c.AddHook(tr)
	s := openOursStorage(b, addr, c, false)
	b.Cleanup(func() { _ = s.Close() })
	return s, tr
}

var run atomic.Int64

func init() { run.Store(time.Now().UnixNano()) }

func uniquePair() []session.Pair {
	return []session.Pair{{Audience: "bench", Subject: fmt.Sprintf("user-%d", run.Add(1))}}
}

func uniqueKey() string { return workload.SessionKey(int(run.Add(1))) }

func benchRotate(b *testing.B, addr string) {
	s, tr := counted(b, addr)
	ctx := context.Background()
	md := uniquePair()
	prev := uniqueKey()
	if err := s.Set(ctx, cookieName, prev, workload.Value1K, ttl, time.Now(), session.SetOptions{Metadata: md}); err != nil {
		b.Fatal(err)
	}
	ks := make([]string, 0, 1<<16)
	b.ReportAllocs()
	start := tr.n.Load()
	cpu := workload.StartCPU()
	for b.Loop() {
		if len(ks) == cap(ks) {
			ks = ks[:0]
		}
		k := uniqueKey()
		ks = append(ks, k)
		if err := s.Set(ctx, cookieName, k, workload.Value1K, ttl, time.Now(), session.SetOptions{OldKey: prev, StaleTTL: 10 * time.Second, Metadata: md}); err != nil {
			b.Fatalf("rotation: %v", err)
		}
		prev = k
	}
	cpu.Report(b)
	tr.report(b, start)
}

// benchLuaRotate sends what lua-resty-session 4.1.5's redis storage sends for a
// rotation with one pair (lib/resty/session/redis/common.lua): TTL of the old key, then
// one pipeline.
func benchLuaRotate(b *testing.B, addr string) {
	c := newGoredis(addr)
	tr := &trips{}
	c.AddHook(tr)
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	aud := base64.RawURLEncoding.EncodeToString([]byte("bench"))
	sub := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("lua-%d", run.Add(1))))
	idx := cookieName + ":" + aud + ":" + sub
	prev := uniqueKey()
	if err := c.Set(ctx, cookieName+":"+prev, workload.Value1K, ttl).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := tr.n.Load()
	cpu := workload.StartCPU()
	for b.Loop() {
		k := uniqueKey()
		now := time.Now().Unix()
		old := cookieName + ":" + prev
		oldTTL, err := c.TTL(ctx, old).Result()
		if err != nil {
			b.Fatal(err)
		}
		pipe := c.Pipeline()
		pipe.Do(ctx, "set", cookieName+":"+k, workload.Value1K, "EX", int64(ttl/time.Second))
		if oldTTL < 0 || oldTTL > 10*time.Second {
			pipe.Do(ctx, "expire", old, 10)
		}
		pipe.Do(ctx, "zremrangebyscore", idx, 0, now-1)
		pipe.Do(ctx, "zadd", idx, now+int64(ttl/time.Second), k)
		pipe.Do(ctx, "zrem", idx, prev)
		pipe.Do(ctx, "expire", idx, int64(ttl/time.Second))
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		prev = k
	}
	cpu.Report(b)
	tr.report(b, start)
}

func benchReadMetadata(b *testing.B, addr string, n int) {
	s, tr := counted(b, addr)
	ctx := context.Background()
	md := uniquePair()
	for range n {
		if err := s.Set(ctx, cookieName, uniqueKey(), workload.Value1K, ttl, time.Now(), session.SetOptions{Metadata: md}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	start := tr.n.Load()
	cpu := workload.StartCPU()
	for b.Loop() {
		live, err := s.ReadMetadata(ctx, cookieName, md[0].Audience, md[0].Subject, time.Now())
		if err != nil || len(live) != n {
			b.Fatalf("ReadMetadata: %d sessions, %v", len(live), err)
		}
	}
	cpu.Report(b)
	tr.report(b, start)
}

func benchDelete(b *testing.B, addr string) {
	s, tr := counted(b, addr)
	ctx := context.Background()
	md := uniquePair()
	b.ReportAllocs()
	var start int64
	var cpu workload.CPUMeter
	first := true
	for b.Loop() {
		b.StopTimer()
		k := uniqueKey()
		if err := s.Set(ctx, cookieName, k, workload.Value1K, ttl, time.Now(), session.SetOptions{Metadata: md}); err != nil {
			b.Fatal(err)
		}
		if first {
			start, cpu, first = tr.n.Load(), workload.StartCPU(), false
		}
		start++ // the Set above is not the Delete's
		b.StartTimer()
		if err := s.Delete(ctx, cookieName, k, time.Now(), md); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b)
	tr.report(b, start)
}
