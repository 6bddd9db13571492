package redisbench

import (
	"context"
	"os"
	"testing"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
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
	return workload.Rotated(ts, os.Getenv("SESSIONSTORE_BENCH_ROUND"))
}

// warmUp runs a few hundred Sets and Gets on every store, untimed: connections dialled,
// code paths and the heap warm.
func warmUp(b *testing.B, addr string, ts []target) {
	prefill(b, addr, setKeys)
	ks := workload.Keys(setKeys)
	ctx := context.Background()
	for _, t := range ts {
		s := t.open(b, addr)
		for i := range 300 {
			if err := s.Set(ctx, ks[i], workload.Value1K); err != nil {
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
	workload.Set(b, open(b, addr, t, setKeys), workload.Keys(setKeys))
}

func benchGet(b *testing.B, addr string, t target) {
	workload.Get(b, open(b, addr, t, setKeys), workload.Keys(setKeys))
}

// benchMix is workload.Mix among n live sessions, from 4×GOMAXPROCS
// goroutines (callers of a network store mostly wait), each with a
// cancellable context as an HTTP handler's is.
func benchMix(b *testing.B, addr string, t target, n int) {
	workload.Mix(b, open(b, addr, t, n), workload.Keys(n), 4, true)
}
