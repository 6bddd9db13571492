// Package sqlbench is the harness of the SQL drivers' benchmarks
// (bench/mysql): the stores under test behind two small interfaces, the
// workload (Get, Set, a rotation with one index pair, ReadMetadata of a
// subject with n sessions) with round trips and client CPU per operation,
// and the paired measurement of ours against a peer call by call.
package sqlbench

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// Rotated returns ts rotated left by round (a number; anything else leaves
// the order alone).
func Rotated(ts []Target, round string) []Target {
	n, err := strconv.Atoi(round)
	if err != nil || len(ts) == 0 {
		return ts
	}
	k := ((n % len(ts)) + len(ts)) % len(ts)
	return append(append([]Target(nil), ts[k:]...), ts[:k]...)
}

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
func Start(trips *atomic.Int64) Meter { return Meter{trips, trips.Load(), CPUTime()} }

// Report reports trips/op and cpu-ns/op.
func (m Meter) Report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(m.trips.Load()-m.t0)/float64(b.N), "trips/op")
		b.ReportMetric(float64(CPUTime()-m.cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// CPUTime is the CPU time this process has used so far, all threads: the
// client's cost (the server is another process).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

// Peer is a store ours is measured against call by call.
type Peer struct {
	Name string
	Open func(tb testing.TB) (KV, *atomic.Int64)
	// Indexed says the peer runs every operation, not just Get and Set.
	Indexed bool
}

// RunPaired measures ours against each peer call by call (see Paired):
// Get and Set against every peer, Rotate1Pair and ReadMetadata against the
// indexed ones.
func RunPaired(b *testing.B, ours func(tb testing.TB) (KV, *atomic.Int64), peers []Peer) {
	ctx := context.Background()
	open := func(b *testing.B, p Peer) (KV, KV) {
		o, _ := ours(b)
		q, _ := p.Open(b)
		return o, q
	}
	for _, peer := range peers {
		b.Run("op=Get/peer="+peer.Name, func(b *testing.B) {
			o, q := open(b, peer)
			ks := Prefill(b, o)
			Prefill(b, q)
			Paired(b, o, q, func(s KV, i int) error {
				v, err := s.Get(ctx, ks[i%Keyspace])
				if err == nil && len(v) != ValueSize {
					err = fmt.Errorf("%d bytes", len(v))
				}
				return err
			})
		})
		b.Run("op=Set/peer="+peer.Name, func(b *testing.B) {
			o, q := open(b, peer)
			ks := Prefill(b, o)
			Prefill(b, q)
			Paired(b, o, q, func(s KV, i int) error { return s.Set(ctx, ks[i%Keyspace], Value1K) })
		})
	}
	for _, peer := range peers {
		if !peer.Indexed {
			continue
		}
		b.Run("op=Rotate1Pair/peer="+peer.Name, func(b *testing.B) {
			o, q := open(b, peer)
			p := session.Pair{Audience: "bench", Subject: "rotating-user"}
			for _, s := range []KV{o, q} {
				if err := s.(Indexed).SetIndexed(ctx, SessionKey(1_000_000), Value1K, p); err != nil {
					b.Fatal(err)
				}
			}
			Paired(b, o, q, func(s KV, i int) error {
				return s.(Indexed).Rotate(ctx, SessionKey(1_000_000+i), SessionKey(1_000_000+i+1), Value1K, p)
			})
		})
		for _, n := range []int{10, 100, 1000} {
			b.Run(fmt.Sprintf("op=ReadMetadata/sessions=%d/peer=%s", n, peer.Name), func(b *testing.B) {
				o, q := open(b, peer)
				p := session.Pair{Audience: "bench", Subject: fmt.Sprintf("user-with-%d", n)}
				for _, s := range []KV{o, q} {
					for i := range n {
						if err := s.(Indexed).SetIndexed(ctx, SessionKey(2_000_000+i), Value1K, p); err != nil {
							b.Fatal(err)
						}
					}
				}
				Paired(b, o, q, func(s KV, _ int) error {
					live, err := s.(Indexed).ReadMetadata(ctx, p)
					if err == nil && len(live) != n {
						err = fmt.Errorf("%d keys, want %d", len(live), n)
					}
					return err
				})
			})
		}
	}
}

// Paired runs op once on each store per iteration, alternating which goes
// first, timing each call, so that both see the same load at the same
// moments (on a shared machine, separate benchmarks minutes apart do not).
// It reports the median time of each call (ours-ns/op, peer-ns/op) and
// their ratio (peer/ours, the throughput ratio: above 1, ours is faster):
// medians, so that a stall of the shared machine, which lands on one call,
// does not decide the comparison.
func Paired(b *testing.B, ours, peer KV, op func(s KV, i int) error) {
	b.Helper()
	var tOurs, tPeer []time.Duration
	i := 0
	for b.Loop() {
		first, second := ours, peer
		if i%2 == 1 {
			first, second = peer, ours
		}
		for _, s := range []KV{first, second} {
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
		mo, mp := median(tOurs), median(tPeer)
		b.ReportMetric(float64(mo.Nanoseconds()), "ours-ns/op")
		b.ReportMetric(float64(mp.Nanoseconds()), "peer-ns/op")
		b.ReportMetric(float64(mp)/float64(mo), "peer/ours")
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// tripConn counts round trips: a read that follows a write is the answer
// to one.
type tripConn struct {
	net.Conn
	trips *atomic.Int64
	wrote atomic.Bool
}

func (c *tripConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}

func (c *tripConn) Read(p []byte) (int, error) {
	if c.wrote.Swap(false) {
		c.trips.Add(1)
	}
	return c.Conn.Read(p)
}

// CountingDial dials TCP and counts the round trips of every connection it
// makes in trips.
func CountingDial(trips *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tripConn{Conn: c, trips: trips}, nil
	}
}
