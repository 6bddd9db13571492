package pgbench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
)

// BenchmarkPostgres runs, against one PostgreSQL server, each operation on
// every store that has it:
//
//	op=Get, op=Set                 ours, ours-lua, pgx, pgxstore (1 KiB values, 2,000 live sessions)
//	op=Rotate1Pair                 ours, ours-lua, pgx           (Set with OldKey and one index pair)
//	op=ReadMetadata/sessions=N     ours, ours-lua, pgx           (a subject with N = 10, 100, 1000 sessions)
//
// pgx runs the driver's own statements through pgxpool directly, so ours
// against pgx is the driver's overhead. Besides time, each reports
// trips/op (round trips, counted on the connection) and cpu-ns/op (this
// process's CPU: the client's cost; the server is another process).
//
// run.sh sets SESSIONSTORE_BENCH_ROUND to the round's number, which rotates
// the order the stores run in, so that no store always runs first after a
// prefill or last before the next process starts.
func BenchmarkPostgres(b *testing.B) {
	server(b)
	targets := rotated(targets, os.Getenv("SESSIONSTORE_BENCH_ROUND"))
	for _, op := range []struct {
		name string
		fn   func(b *testing.B, s kv, trips *atomic.Int64)
	}{{"Get", benchGet}, {"Set", benchSet}} {
		for _, t := range targets {
			b.Run("op="+op.name+"/store="+t.name, func(b *testing.B) {
				s, trips := t.open(b)
				op.fn(b, s, trips)
			})
		}
	}
	for _, t := range targets {
		b.Run("op=Rotate1Pair/store="+t.name, func(b *testing.B) {
			s, trips := t.open(b)
			ix, ok := s.(indexed)
			if !ok {
				b.Skip("no index")
			}
			benchRotate(b, ix, trips)
		})
	}
	for _, n := range []int{10, 100, 1000} {
		for _, t := range targets {
			b.Run(fmt.Sprintf("op=ReadMetadata/sessions=%d/store=%s", n, t.name), func(b *testing.B) {
				s, trips := t.open(b)
				ix, ok := s.(indexed)
				if !ok {
					b.Skip("no index")
				}
				benchReadMetadata(b, ix, trips, n)
			})
		}
	}
}

// rotated returns ts rotated left by round (a number; anything else
// leaves the order alone).
func rotated(ts []target, round string) []target {
	n, err := strconv.Atoi(round)
	if err != nil || len(ts) == 0 {
		return ts
	}
	k := ((n % len(ts)) + len(ts)) % len(ts)
	return append(append([]target(nil), ts[k:]...), ts[:k]...)
}

// keyspace is the number of live sessions Get and Set cycle through.
const keyspace = 2000

func prefill(b *testing.B, s kv) []string {
	b.Helper()
	ks := make([]string, keyspace)
	ctx := context.Background()
	for i := range ks {
		ks[i] = sessionKey(i)
		if err := s.Set(ctx, ks[i], value1K); err != nil {
			b.Fatalf("prefill: %v", err)
		}
	}
	return ks
}

// meter reports round trips and CPU time per operation.
type meter struct {
	trips *atomic.Int64
	t0    int64
	cpu0  time.Duration
}

func start(trips *atomic.Int64) meter { return meter{trips, trips.Load(), cpuTime()} }

func (m meter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(m.trips.Load()-m.t0)/float64(b.N), "trips/op")
		b.ReportMetric(float64(cpuTime()-m.cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// cpuTime is the CPU time this process has used so far, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchGet(b *testing.B, s kv, trips *atomic.Int64) {
	ks := prefill(b, s)
	ctx := context.Background()
	b.SetBytes(valueSize)
	b.ReportAllocs()
	m := start(trips)
	i := 0
	for b.Loop() {
		v, err := s.Get(ctx, ks[i%keyspace])
		if err != nil || len(v) != valueSize {
			b.Fatalf("Get: %d bytes, %v", len(v), err)
		}
		i++
	}
	m.report(b)
}

func benchSet(b *testing.B, s kv, trips *atomic.Int64) {
	ks := prefill(b, s)
	ctx := context.Background()
	b.SetBytes(valueSize)
	b.ReportAllocs()
	m := start(trips)
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, ks[i%keyspace], value1K); err != nil {
			b.Fatalf("Set: %v", err)
		}
		i++
	}
	m.report(b)
}

// benchRotate rotates one session b.N times, as a session layer does on
// every refresh: a new key, the previous one as OldKey, one index pair.
func benchRotate(b *testing.B, s indexed, trips *atomic.Int64) {
	ctx := context.Background()
	p := session.Pair{Audience: "bench", Subject: "rotating-user"}
	ks := make([]string, b.N+1)
	for i := range ks {
		ks[i] = sessionKey(1_000_000 + i)
	}
	if err := s.SetIndexed(ctx, ks[0], value1K, p); err != nil {
		b.Fatalf("Set: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	m := start(trips)
	for i := range b.N {
		if err := s.Rotate(ctx, ks[i], ks[i+1], value1K, p); err != nil {
			b.Fatalf("rotate: %v", err)
		}
	}
	b.StopTimer()
	m.report(b)
	live, err := s.ReadMetadata(ctx, p)
	if err != nil || len(live) != 1 {
		b.Fatalf("after %d rotations: %d live keys, %v; want 1", b.N, len(live), err)
	}
}

// benchReadMetadata lists a subject that has n live sessions.
func benchReadMetadata(b *testing.B, s indexed, trips *atomic.Int64, n int) {
	ctx := context.Background()
	p := session.Pair{Audience: "bench", Subject: fmt.Sprintf("user-with-%d", n)}
	for i := range n {
		if err := s.SetIndexed(ctx, sessionKey(2_000_000+i), value1K, p); err != nil {
			b.Fatalf("Set: %v", err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	m := start(trips)
	for range b.N {
		live, err := s.ReadMetadata(ctx, p)
		if err != nil || len(live) != n {
			b.Fatalf("ReadMetadata: %d keys, %v; want %d", len(live), err, n)
		}
	}
	m.report(b)
}

// BenchmarkPostgresPaired measures ours against a peer call by call: each
// iteration runs the operation once on each, in alternating order, timing
// each call, so that both see the same load at the same moments (on a
// shared machine, separate benchmarks minutes apart do not). The peers are
// raw pgx running the driver's statements (every operation) and scs's
// pgxstore (Get and Set). It reports the median time per call of ours
// (ours-ns/op) and of the peer (peer-ns/op) and their ratio (peer/ours,
// the throughput ratio: above 1, ours is faster).
func BenchmarkPostgresPaired(b *testing.B) {
	server(b)
	peers := []struct {
		name string
		open func(testing.TB) (kv, *atomic.Int64)
	}{{"pgx", openRaw}, {"pgxstore", openPgxstore}}
	ctx := context.Background()
	for _, peer := range peers {
		b.Run("op=Get/peer="+peer.name, func(b *testing.B) {
			ours, _ := openOurs(b, postgres.OwnTables)
			other, _ := peer.open(b)
			ks := prefill(b, ours)
			prefill(b, other)
			paired(b, ours, other, func(s kv, i int) error {
				v, err := s.Get(ctx, ks[i%keyspace])
				if err == nil && len(v) != valueSize {
					err = fmt.Errorf("%d bytes", len(v))
				}
				return err
			})
		})
		b.Run("op=Set/peer="+peer.name, func(b *testing.B) {
			ours, _ := openOurs(b, postgres.OwnTables)
			other, _ := peer.open(b)
			ks := prefill(b, ours)
			prefill(b, other)
			paired(b, ours, other, func(s kv, i int) error { return s.Set(ctx, ks[i%keyspace], value1K) })
		})
	}
	open := func(b *testing.B) (kv, kv) {
		o, _ := openOurs(b, postgres.OwnTables)
		r, _ := openRaw(b)
		return o, r
	}
	b.Run("op=Rotate1Pair/peer=pgx", func(b *testing.B) {
		ours, raw := open(b)
		p := session.Pair{Audience: "bench", Subject: "rotating-user"}
		for _, s := range []kv{ours, raw} {
			if err := s.(indexed).SetIndexed(ctx, sessionKey(1_000_000), value1K, p); err != nil {
				b.Fatal(err)
			}
		}
		paired(b, ours, raw, func(s kv, i int) error {
			return s.(indexed).Rotate(ctx, sessionKey(1_000_000+i), sessionKey(1_000_000+i+1), value1K, p)
		})
	})
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("op=ReadMetadata/sessions=%d/peer=pgx", n), func(b *testing.B) {
			ours, raw := open(b)
			p := session.Pair{Audience: "bench", Subject: fmt.Sprintf("user-with-%d", n)}
			for _, s := range []kv{ours, raw} {
				for i := range n {
					if err := s.(indexed).SetIndexed(ctx, sessionKey(2_000_000+i), value1K, p); err != nil {
						b.Fatal(err)
					}
				}
			}
			paired(b, ours, raw, func(s kv, _ int) error {
				live, err := s.(indexed).ReadMetadata(ctx, p)
				if err == nil && len(live) != n {
					err = fmt.Errorf("%d keys, want %d", len(live), n)
				}
				return err
			})
		})
	}
}

// paired runs op once on each store per iteration, alternating which goes
// first,
// and reports the median time of each call and their ratio: medians, so
// that a stall of the shared machine, which lands on one call, does not
// decide the comparison.
func paired(b *testing.B, ours, peer kv, op func(s kv, i int) error) {
	b.Helper()
	var tOurs, tPeer []time.Duration
	i := 0
	for b.Loop() { // setup runs once; the loop runs until the time is spent
		first, second := ours, peer
		if i%2 == 1 {
			first, second = peer, ours
		}
		for _, s := range []kv{first, second} {
			t0 := time.Now()
			if err := op(s, i); err != nil {
				b.Fatal(err)
			}
			d := time.Since(t0)
			if s == ours {
				tOurs = append(tOurs, d)
			} else {
				tPeer = append(tPeer, d)
			}
		}
		i++
	}
	if len(tOurs) > 0 {
		mo, mp := medianOf(tOurs), medianOf(tPeer)
		b.ReportMetric(float64(mo.Nanoseconds()), "ours-ns/op")
		b.ReportMetric(float64(mp.Nanoseconds()), "peer-ns/op")
		b.ReportMetric(float64(mp)/float64(mo), "peer/ours")
	}
}

func medianOf(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
