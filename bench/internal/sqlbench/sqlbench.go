// Package sqlbench is the harness of the SQL drivers' benchmarks
// (bench/postgres, bench/mysql): the stores under test behind two small
// interfaces (Ours adapts our drivers), the workload (Get, Set, a rotation
// with one index pair, ReadMetadata of a subject with n sessions) with
// round trips and client CPU per operation, the paired measurement of ours
// against a peer call by call, the smoke check every store passes before
// its numbers count (CheckTargets), and the server they run against
// (Server: a running one, or one the driver's test helper starts). One
// harness, so that both drivers are measured the same way.
package sqlbench

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/bench/internal/workload"
	"github.com/sessionstore/sessionstore/session"
)

// The workload's constants.
const (
	CookieName = "session"
	TTL        = time.Hour
	ValueSize  = 1024
	// Keyspace is the number of live sessions Get and Set cycle through.
	Keyspace = 2000
)

var (
	// Value1K is every Set's value.
	Value1K = []byte(strings.Repeat("v", ValueSize))
	// ErrMiss is what an adapter returns for a missing session.
	ErrMiss = errors.New("bench: miss")
	b64     = base64.RawURLEncoding
)

// SessionKey returns the i-th key of a keyspace: 43 characters of
// base64url, as lua-resty-session's.
func SessionKey(i int) string {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	copy(b[8:], "sessionstore-bench-key-padding")
	return b64.EncodeToString(b[:])
}

// Encode is what the drivers store for an audience or a subject.
func Encode(s string) string { return b64.EncodeToString([]byte(s)) }

// KV is what every store does: a session layer's plain saves and loads.
type KV interface {
	Set(ctx context.Context, key string, value []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
}

// Indexed is what only our drivers and the raw client running their
// statements do.
type Indexed interface {
	KV
	SetIndexed(ctx context.Context, key string, value []byte, p session.Pair) error
	Rotate(ctx context.Context, old, key string, value []byte, p session.Pair) error
	ReadMetadata(ctx context.Context, p session.Pair) (map[string]time.Time, error)
}

// Target is one store under test; Open returns it with its round-trip
// counter.
type Target struct {
	Name string
	Open func(tb testing.TB) (KV, *atomic.Int64)
}

// EnvRound is set by the run scripts to the round's number, which rotates
// the order the stores run in, so that no store always runs first after a
// prefill or last before the next process starts.
const EnvRound = "SESSIONSTORE_BENCH_ROUND"

// Rotated returns ts rotated left by round (see workload.Rotated).
func Rotated(ts []Target, round string) []Target { return workload.Rotated(ts, round) }

// Run runs each operation on every target that has it, as sub-benchmarks
// op=<op>[/sessions=<n>]/store=<target>.
func Run(b *testing.B, targets []Target) {
	targets = Rotated(targets, os.Getenv(EnvRound))
	for _, op := range []struct {
		name string
		fn   func(b *testing.B, s KV, trips *atomic.Int64)
	}{{"Get", Get}, {"Set", Set}} {
		for _, t := range targets {
			b.Run("op="+op.name+"/store="+t.Name, func(b *testing.B) {
				s, trips := t.Open(b)
				op.fn(b, s, trips)
			})
		}
	}
	for _, t := range targets {
		b.Run("op=Rotate1Pair/store="+t.Name, func(b *testing.B) {
			s, trips := t.Open(b)
			ix, ok := s.(Indexed)
			if !ok {
				b.Skip("no index")
			}
			Rotate(b, ix, trips)
		})
	}
	for _, n := range []int{10, 100, 1000} {
		for _, t := range targets {
			b.Run(fmt.Sprintf("op=ReadMetadata/sessions=%d/store=%s", n, t.Name), func(b *testing.B) {
				s, trips := t.Open(b)
				ix, ok := s.(Indexed)
				if !ok {
					b.Skip("no index")
				}
				ReadMetadata(b, ix, trips, n)
			})
		}
	}
}

// Prefill stores Keyspace sessions and returns their keys.
func Prefill(tb testing.TB, s KV) []string {
	tb.Helper()
	ks := make([]string, Keyspace)
	ctx := context.Background()
	for i := range ks {
		ks[i] = SessionKey(i)
		if err := s.Set(ctx, ks[i], Value1K); err != nil {
			tb.Fatalf("prefill: %v", err)
		}
	}
	return ks
}

// Meter reports round trips and CPU time per operation.
type Meter struct {
	trips *atomic.Int64
	t0    int64
	cpu0  time.Duration
}

// Start starts measuring.
func Start(trips *atomic.Int64) Meter { return Meter{trips, trips.Load(), workload.CPUTime()} }

// Report reports trips/op and cpu-ns/op.
func (m Meter) Report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(m.trips.Load()-m.t0)/float64(b.N), "trips/op")
		b.ReportMetric(float64(workload.CPUTime()-m.cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// Get reads sessions of a prefilled keyspace.
func Get(b *testing.B, s KV, trips *atomic.Int64) {
	ks := Prefill(b, s)
	ctx := context.Background()
	b.SetBytes(ValueSize)
	b.ReportAllocs()
	m := Start(trips)
	i := 0
	for b.Loop() {
		v, err := s.Get(ctx, ks[i%Keyspace])
		if err != nil || len(v) != ValueSize {
			b.Fatalf("Get: %d bytes, %v", len(v), err)
		}
		i++
	}
	m.Report(b)
}

// Set overwrites sessions of a prefilled keyspace.
func Set(b *testing.B, s KV, trips *atomic.Int64) {
	ks := Prefill(b, s)
	ctx := context.Background()
	b.SetBytes(ValueSize)
	b.ReportAllocs()
	m := Start(trips)
	i := 0
	for b.Loop() {
		if err := s.Set(ctx, ks[i%Keyspace], Value1K); err != nil {
			b.Fatalf("Set: %v", err)
		}
		i++
	}
	m.Report(b)
}

// Rotate rotates one session b.N times, as a session layer does on every
// refresh: a new key, the previous one as OldKey, one index pair.
func Rotate(b *testing.B, s Indexed, trips *atomic.Int64) {
	ctx := context.Background()
	p := session.Pair{Audience: "bench", Subject: "rotating-user"}
	ks := make([]string, b.N+1)
	for i := range ks {
		ks[i] = SessionKey(1_000_000 + i)
	}
	if err := s.SetIndexed(ctx, ks[0], Value1K, p); err != nil {
		b.Fatalf("Set: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	m := Start(trips)
	for i := range b.N {
		if err := s.Rotate(ctx, ks[i], ks[i+1], Value1K, p); err != nil {
			b.Fatalf("rotate: %v", err)
		}
	}
	b.StopTimer()
	m.Report(b)
	live, err := s.ReadMetadata(ctx, p)
	if err != nil || len(live) != 1 {
		b.Fatalf("after %d rotations: %d live keys, %v; want 1", b.N, len(live), err)
	}
}

// ReadMetadata lists a subject that has n live sessions.
func ReadMetadata(b *testing.B, s Indexed, trips *atomic.Int64, n int) {
	ctx := context.Background()
	p := session.Pair{Audience: "bench", Subject: fmt.Sprintf("user-with-%d", n)}
	for i := range n {
		if err := s.SetIndexed(ctx, SessionKey(2_000_000+i), Value1K, p); err != nil {
			b.Fatalf("Set: %v", err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	m := Start(trips)
	for range b.N {
		live, err := s.ReadMetadata(ctx, p)
		if err != nil || len(live) != n {
			b.Fatalf("ReadMetadata: %d keys, %v; want %d", len(live), err, n)
		}
	}
	m.Report(b)
}
