package bench

import (
	"os"
	"testing"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
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
	workload.Set(b, prefilled(b, t, setKeys), workload.Keys(setKeys))
}

func benchGet(b *testing.B, t target) {
	workload.Get(b, prefilled(b, t, setKeys), workload.Keys(setKeys))
}

// benchMix is workload.Mix among n live sessions, from GOMAXPROCS
// goroutines (memory) or 4×GOMAXPROCS goroutines (memcached, whose callers
// mostly wait on the network).
func benchMix(b *testing.B, t target, n int, network bool) {
	s := prefilled(b, t, n)
	parallelism := 0
	if network {
		parallelism = 4
	}
	workload.Mix(b, s, workload.Keys(n), parallelism, false)
}
