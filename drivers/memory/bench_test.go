package memory_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

const benchKeys = 1 << 16

func benchKeySet() []string {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = key(i)
	}
	return keys
}

func filled(b *testing.B, keys []string, value []byte) *memory.Store {
	s := memory.New()
	b.Cleanup(func() { _ = s.Close() })
	ctx, now := context.Background(), time.Now()
	for _, k := range keys {
		if err := s.Set(ctx, "session", k, value, time.Hour, now, session.SetOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkGet(b *testing.B) {
	keys := benchKeySet()
	s := filled(b, keys, make([]byte, 256))
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Get(ctx, "session", keys[i&(benchKeys-1)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSet(b *testing.B) {
	keys := benchKeySet()
	value := make([]byte, 256)
	s := filled(b, keys, value)
	ctx, now := context.Background(), time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, "session", keys[i&(benchKeys-1)], value, time.Hour, now, session.SetOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSetWithMetadata(b *testing.B) {
	keys := benchKeySet()
	value := make([]byte, 256)
	s := filled(b, keys, value)
	ctx, now := context.Background(), time.Now()
	md := []session.Pair{{Audience: "default", Subject: ""}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		md[0].Subject = keys[(i/4)&(benchKeys-1)] // four sessions per subject
		if err := s.Set(ctx, "session", keys[i&(benchKeys-1)], value, time.Hour, now, session.SetOptions{Metadata: md}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkParallelMix is 90% Get and 10% Set from GOMAXPROCS goroutines.
func BenchmarkParallelMix(b *testing.B) {
	keys := benchKeySet()
	value := make([]byte, 256)
	s := filled(b, keys, value)
	ctx, now := context.Background(), time.Now()
	var seed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			k := keys[i&(benchKeys-1)]
			if i%10 == 0 {
				if err := s.Set(ctx, "session", k, value, time.Hour, now, session.SetOptions{}); err != nil {
					b.Fatal(err)
				}
			} else if _, err := s.Get(ctx, "session", k); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkBytesPerSession reports the heap a session costs beyond its
// key and value (overhead-B/session), for sessions with 43-byte keys and
// 64-byte values; b.N is not used for timing.
func BenchmarkBytesPerSession(b *testing.B) {
	const n = 200_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = key(i)
	}
	value := make([]byte, 64)
	ctx, now := context.Background(), time.Now()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := memory.New(memory.WithSweepInterval(0))
		for _, k := range keys {
			if err := s.Set(ctx, "session", k, value, time.Hour, now, session.SetOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perSession := float64(after.HeapAlloc-before.HeapAlloc) / n
		b.ReportMetric(perSession-float64(len(keys[0])+len(value)), "overhead-B/session")
		runtime.KeepAlive(s)
		_ = s.Close()
	}
}
