package sqlbench

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

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
