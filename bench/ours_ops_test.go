package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

// oursDriver is one of our drivers in BenchmarkOurs.
type oursDriver struct {
	name string
	open func(testing.TB) session.Storage
}

// oursDrivers are the drivers BenchmarkOurs measures, in table order; the
// memcached driver adds itself from ours_memcached_test.go.
var oursDrivers = []oursDriver{
	{"memory", func(testing.TB) session.Storage { return memory.New() }},
}

// BenchmarkOurs measures the operations only our drivers have: a rotation
// (Set with OldKey) with one index pair, ReadMetadata of a subject with 10,
// 100 and 1,000 live sessions, and Delete with metadata. Round trips per
// operation come from cmd/roundtrips.
func BenchmarkOurs(b *testing.B) {
	for _, d := range oursDrivers {
		b.Run("driver="+d.name+"/op=Rotate1Pair", func(b *testing.B) { benchRotate(b, d.open(b)) })
		for _, n := range []int{10, 100, 1000} {
			b.Run(fmt.Sprintf("driver=%s/op=ReadMetadata/sessions=%d", d.name, n), func(b *testing.B) {
				benchReadMetadata(b, d.open(b), n)
			})
		}
		b.Run("driver="+d.name+"/op=DeleteWithMetadata", func(b *testing.B) { benchDelete(b, d.open(b)) })
	}
}

// run numbers each benchmark invocation so that subjects and keys never
// collide with an earlier one in the same memcached (which outlives a
// process).
var run atomic.Int64

func init() { run.Store(time.Now().UnixNano()) }

func uniqueKeys(n int) []string {
	base := run.Add(1)
	ks := make([]string, n)
	for i := range ks {
		ks[i] = workload.SessionKey(int(base)*1_000_003 + i) // distinct from the prefilled keyspace's small indexes
	}
	return ks
}

func uniquePair() []session.Pair {
	return []session.Pair{{Audience: "bench", Subject: fmt.Sprintf("user-%d", run.Add(1))}}
}

func closeAfter(b *testing.B, s session.Storage) {
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
}

// benchRotate rotates one session b.N times, as a session layer does on
// every refresh: new key, OldKey = the previous key, one metadata pair.
func benchRotate(b *testing.B, s session.Storage) {
	closeAfter(b, s)
	ctx := context.Background()
	ks := uniqueKeys(b.N + 1)
	md := uniquePair()
	if err := s.Set(ctx, cookieName, ks[0], workload.Value1K, ttl, time.Now(), session.SetOptions{Metadata: md}); err != nil {
		b.Fatalf("Set: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := workload.StartCPU()
	for i := range b.N {
		opts := session.SetOptions{OldKey: ks[i], Metadata: md}
		if err := s.Set(ctx, cookieName, ks[i+1], workload.Value1K, ttl, time.Now(), opts); err != nil {
			b.Fatalf("rotate: %v", err)
		}
	}
	b.StopTimer()
	cpu.Report(b)
	live, err := s.ReadMetadata(ctx, cookieName, md[0].Audience, md[0].Subject, time.Now())
	if err != nil || len(live) != 1 {
		b.Fatalf("after %d rotations: %d live keys, %v; want 1", b.N, len(live), err)
	}
}

// benchReadMetadata lists a subject that has n live sessions.
func benchReadMetadata(b *testing.B, s session.Storage, n int) {
	closeAfter(b, s)
	ctx := context.Background()
	md := uniquePair()
	for _, k := range uniqueKeys(n) {
		if err := s.Set(ctx, cookieName, k, workload.Value1K, ttl, time.Now(), session.SetOptions{Metadata: md}); err != nil {
			b.Fatalf("Set: %v", err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := workload.StartCPU()
	for range b.N {
		live, err := s.ReadMetadata(ctx, cookieName, md[0].Audience, md[0].Subject, time.Now())
		if err != nil {
			b.Fatalf("ReadMetadata: %v", err)
		}
		if len(live) != n {
			b.Fatalf("ReadMetadata: %d keys, want %d", len(live), n)
		}
	}
	cpu.Report(b)
}

// benchDelete destroys b.N sessions, each the only session of its subject
// (a logout), with its metadata.
func benchDelete(b *testing.B, s session.Storage) {
	closeAfter(b, s)
	ctx := context.Background()
	ks := uniqueKeys(b.N)
	mds := make([][]session.Pair, b.N)
	for i, k := range ks {
		mds[i] = uniquePair()
		if err := s.Set(ctx, cookieName, k, workload.Value1K, ttl, time.Now(), session.SetOptions{Metadata: mds[i]}); err != nil {
			b.Fatalf("Set: %v", err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := workload.StartCPU()
	for i, k := range ks {
		if err := s.Delete(ctx, cookieName, k, time.Now(), mds[i]); err != nil {
			b.Fatalf("Delete: %v", err)
		}
	}
	b.StopTimer()
	cpu.Report(b)
	if _, err := s.Get(ctx, cookieName, ks[len(ks)-1]); err == nil {
		b.Fatal("Get after Delete found the session")
	}
}
