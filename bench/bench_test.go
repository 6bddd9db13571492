package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dropCache()
	os.Exit(code)
}

// Sub-benchmark names are key=value pairs so that benchstat can pivot on
// them (benchstat -col /store).

// BenchmarkMemory runs the shared workload on every in-process store.
func BenchmarkMemory(b *testing.B) { runWorkload(b, false) }

// BenchmarkMemcached runs the shared workload on every memcached client,
// all against the same loopback memcached.
func BenchmarkMemcached(b *testing.B) { runWorkload(b, true) }

func runWorkload(b *testing.B, memcached bool) {
	var ts []target
	for _, t := range targets {
		if t.memcached == memcached {
			ts = append(ts, t)
		}
	}
	for _, t := range ts {
		b.Run("op=Set/store="+t.name, func(b *testing.B) { benchSet(b, t) })
	}
	for _, t := range ts {
		b.Run("op=Get/store="+t.name, func(b *testing.B) { benchGet(b, t) })
	}
	for _, n := range []struct {
		label string
		n     int
	}{{"10k", 10_000}, {"1M", 1_000_000}} {
		for _, t := range ts {
			b.Run("op=Mix90-"+n.label+"/store="+t.name, func(b *testing.B) { benchMix(b, t, n.n, memcached) })
		}
	}
	dropCache()
}

// setKeys is the keyspace the Set benchmark cycles through: after the first
// pass every Set overwrites a live session, as a session layer's saves do.
const setKeys = 10_000

func benchSet(b *testing.B, t target) {
	s := prefilled(b, t, setKeys)
	ks := benchKeys(setKeys)
	ctx := context.Background()
	b.SetBytes(valueSize)
	b.ReportAllocs()
	cpu := startCPU()
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, ks[i%setKeys], value1K); err != nil {
			b.Fatalf("Set: %v", err)
		}
		i++
	}
	cpu.report(b)
}

func benchGet(b *testing.B, t target) {
	s := prefilled(b, t, setKeys)
	ks := benchKeys(setKeys)
	ctx := context.Background()
	b.SetBytes(valueSize)
	b.ReportAllocs()
	cpu := startCPU()
	i := 0
	for b.Loop() {
		v, err := s.Get(ctx, ks[i%setKeys])
		if err != nil {
			b.Fatalf("Get: %v", err)
		}
		if len(v) != valueSize {
			b.Fatalf("Get: %d bytes, want %d", len(v), valueSize)
		}
		i++
	}
	cpu.report(b)
}

// mixSeed makes every RunParallel goroutine draw a different key sequence.
var mixSeed atomic.Uint64

// benchMix is 90% Get / 10% Set of uniformly random keys among n live
// sessions, from GOMAXPROCS goroutines (memory) or 4×GOMAXPROCS goroutines
// (memcached, whose callers mostly wait on the network).
func benchMix(b *testing.B, t target, n int, network bool) {
	s := prefilled(b, t, n)
	ks := benchKeys(n)
	ctx := context.Background()
	if network {
		b.SetParallelism(4)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	defer cpu.report(b)
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(mixSeed.Add(1), 0x5e55))
		for pb.Next() {
			x := r.Uint64()
			k := ks[(x>>8)%uint64(n)]
			if (x&0xffff)%10 == 0 { // 10% Sets
				if err := s.Set(ctx, k, value1K); err != nil {
					b.Errorf("Set: %v", err)
					return
				}
				continue
			}
			if _, err := s.Get(ctx, k); err != nil {
				b.Errorf("Get: %v", err)
				return
			}
		}
	})
}
