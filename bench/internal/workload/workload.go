// Package workload is the plain-session workload the bench module's
// throughput benchmarks share (package bench for the memory and memcached
// stores, redisbench for Redis): 43-character keys, 1 KiB values, Set and
// Get cycling through live sessions, a 90/10 Get/Set mix of random keys
// from parallel goroutines, and the client's CPU time per operation next
// to wall time. One workload, so that the stores of every backend are
// measured the same way and their numbers compare.
package workload

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ValueSize is the session value of the throughput benchmarks (1 KiB).
const ValueSize = 1024

// Value1K is the shared session value; stores that copy it pay for the copy.
var Value1K = func() []byte {
	v := make([]byte, ValueSize)
	for i := range v {
		v[i] = byte(i)
	}
	return v
}()

// SessionKey returns the i-th benchmark session key: 43 characters of
// base64url, like lua-resty-session's keys (32 bytes encoded).
func SessionKey(i int) string {
	var raw [32]byte
	binary.LittleEndian.PutUint64(raw[:], uint64(i))
	copy(raw[8:], "sessionstore-benchmark-key")
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

var (
	keysMu sync.Mutex
	keys   []string
)

// Keys returns the first n session keys, generated once.
func Keys(n int) []string {
	keysMu.Lock()
	defer keysMu.Unlock()
	for len(keys) < n {
		keys = append(keys, SessionKey(len(keys)))
	}
	return keys[:n]
}

// CPUTime is the CPU time this process has used so far, user and system,
// all threads (GC workers included).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUMeter reports CPU nanoseconds per operation as "cpu-ns/op". On a
// machine shared with other work, wall time per op swings with the load
// while CPU time per op mostly does not, so both are reported. For a
// networked store it counts only the client's side (the server is another
// process), which is exactly the overhead a driver adds.
type CPUMeter struct{ start time.Duration }

// StartCPU starts measuring.
func StartCPU() CPUMeter { return CPUMeter{CPUTime()} }

// Report reports cpu-ns/op since StartCPU.
func (m CPUMeter) Report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(CPUTime()-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// KV is what a session layer does to a plain session, in each store's own
// API.
type KV interface {
	Set(ctx context.Context, key string, value []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
}

// Set overwrites the sessions of ks (live already), cycling through them,
// as a session layer's saves do.
func Set(b *testing.B, s KV, ks []string) {
	ctx := context.Background()
	b.SetBytes(ValueSize)
	b.ReportAllocs()
	cpu := StartCPU()
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, ks[i%len(ks)], Value1K); err != nil {
			b.Fatalf("Set: %v", err)
		}
		i++
	}
	cpu.Report(b)
}

// Get reads the sessions of ks (live, with Value1K), cycling through them.
func Get(b *testing.B, s KV, ks []string) {
	ctx := context.Background()
	b.SetBytes(ValueSize)
	b.ReportAllocs()
	cpu := StartCPU()
	i := 0
	for b.Loop() {
		v, err := s.Get(ctx, ks[i%len(ks)])
		if err != nil {
			b.Fatalf("Get: %v", err)
		}
		if len(v) != ValueSize {
			b.Fatalf("Get: %d bytes, want %d", len(v), ValueSize)
		}
		i++
	}
	cpu.Report(b)
}

// mixSeed makes every RunParallel goroutine draw a different key sequence.
var mixSeed atomic.Uint64

// Mix is 90% Get / 10% Set of uniformly random keys among the live
// sessions ks, from parallelism×GOMAXPROCS goroutines (0: GOMAXPROCS; a
// networked store's callers mostly wait, so they run 4 per core). With
// cancellable, each goroutine's calls carry a context that can end, as an
// HTTP handler's does (a driver that watches contexts pays for it).
func Mix(b *testing.B, s KV, ks []string, parallelism int, cancellable bool) {
	n := uint64(len(ks))
	if parallelism > 0 {
		b.SetParallelism(parallelism)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := StartCPU()
	defer cpu.Report(b)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		if cancellable {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
		}
		r := rand.New(rand.NewPCG(mixSeed.Add(1), 0x5e55))
		for pb.Next() {
			x := r.Uint64()
			k := ks[(x>>8)%n]
			if (x&0xffff)%10 == 0 { // 10% Sets
				if err := s.Set(ctx, k, Value1K); err != nil {
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

// Rotated returns ts rotated left by round (a number; anything else
// leaves the order alone). The run scripts set SESSIONSTORE_BENCH_ROUND
// to the round's number, so that no store always runs first after a
// prefill or last before the next process starts.
func Rotated[T any](ts []T, round string) []T {
	n, err := strconv.Atoi(round)
	if err != nil || len(ts) == 0 {
		return ts
	}
	k := ((n % len(ts)) + len(ts)) % len(ts)
	return append(append([]T(nil), ts[k:]...), ts[:k]...)
}
