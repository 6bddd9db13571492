package redisbench

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
)

// Sub-benchmark names are key=value pairs so that benchstat can pivot on them
// (benchstat -col /store), as in the bench module's other benchmarks.

// BenchmarkRedis runs the shared workload on every store, against one redis-server.
// The stores run in an order rotated by SESSIONSTORE_BENCH_ROUND (run.sh counts its
// rounds), after an untimed warm-up of every store, so that no store is always the first
// of a fresh process, the one that meets its cold start.
func BenchmarkRedis(b *testing.B) {
	addr := redisAddr(b)
	targets := rotated(targets)
	warmUp(b, addr, targets)
	for _, t := range targets {
		b.Run("op=Set/store="+t.name, func(b *testing.B) { benchSet(b, addr, t) })
	}
	for _, t := range targets {
		b.Run("op=Get/store="+t.name, func(b *testing.B) { benchGet(b, addr, t) })
	}
	for _, n := range []struct {
		label string
		n     int
	}{{"10k", 10_000}, {"1M", 1_000_000}} {
		for _, t := range targets {
			b.Run("op=Mix90-"+n.label+"/store="+t.name, func(b *testing.B) { benchMix(b, addr, t, n.n) })
		}
	}
}

// rotated returns ts rotated left by the round number in SESSIONSTORE_BENCH_ROUND.
func rotated(ts []target) []target {
	r, _ := strconv.Atoi(os.Getenv("SESSIONSTORE_BENCH_ROUND"))
	n := len(ts)
	r = ((r % n) + n) % n
	return append(append([]target(nil), ts[r:]...), ts[:r]...)
}

// warmUp runs a few hundred Sets and Gets on every store, untimed: connections dialled,
// code paths and the heap warm.
func warmUp(b *testing.B, addr string, ts []target) {
	prefill(b, addr, setKeys)
	ks := benchKeys(setKeys)
	ctx := context.Background()
	for _, t := range ts {
		s := t.open(b, addr)
		for i := range 300 {
			if err := s.Set(ctx, ks[i], value1K); err != nil {
				b.Fatalf("warm-up %s: %v", t.name, err)
			}
			if _, err := s.Get(ctx, ks[i]); err != nil {
				b.Fatalf("warm-up %s: %v", t.name, err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatalf("warm-up %s: %v", t.name, err)
		}
	}
}

// setKeys is the keyspace Set and Get cycle through: every Set overwrites a live
// session, as a session layer's saves do.
const setKeys = 10_000

func open(b *testing.B, addr string, t target, n int) kv {
	prefill(b, addr, n)
	s := t.open(b, addr)
	b.Cleanup(func() {
		if err := s.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
	return s
}

func benchSet(b *testing.B, addr string, t target) {
	s := open(b, addr, t, setKeys)
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

func benchGet(b *testing.B, addr string, t target) {
	s := open(b, addr, t, setKeys)
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

var mixSeed atomic.Uint64

// benchMix is 90% Get / 10% Set of uniformly random keys among n live sessions, from
// 4×GOMAXPROCS goroutines (callers of a network store mostly wait), each with a
// cancellable context as an HTTP handler's is.
func benchMix(b *testing.B, addr string, t target, n int) {
	s := open(b, addr, t, n)
	ks := benchKeys(n)
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	defer cpu.report(b)
	b.RunParallel(func(pb *testing.PB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := rand.New(rand.NewPCG(mixSeed.Add(1), 0x5e55))
		for pb.Next() {
			x := r.Uint64()
			k := ks[(x>>8)%uint64(n)]
			if (x&0xffff)%10 == 0 {
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
