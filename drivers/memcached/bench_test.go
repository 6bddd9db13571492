package memcached_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// The benchmarks run against a memcached binary on this machine (skipped
// without one), in parallel, and report round trips per operation.

func benchStorage(b *testing.B) *memcached.Storage {
	b.Helper()
	_, addr := localMemcached(b, false)
	s, err := memcached.New(memcached.Config{Servers: []string{addr}, Prefix: "bench"})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func reportTrips(b *testing.B, s *memcached.Storage, before uint64) {
	b.ReportMetric(float64(s.RoundTrips()-before)/float64(b.N), "trips/op")
}

func BenchmarkGet(b *testing.B) {
	s := benchStorage(b)
	ctx := b.Context()
	k := sessionKey()
	require.NoError(b, s.Set(ctx, "session", k, make([]byte, 512), time.Hour, time.Now(), session.SetOptions{}))
	before := s.RoundTrips()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get(ctx, "session", k); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportTrips(b, s, before)
}

func BenchmarkSet(b *testing.B) {
	s := benchStorage(b)
	ctx := b.Context()
	v := make([]byte, 512)
	before := s.RoundTrips()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := sessionKey()
		for pb.Next() {
			if err := s.Set(ctx, "session", k, v, time.Hour, time.Now(), session.SetOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportTrips(b, s, before)
}

// BenchmarkRotate rotates sessions of one subject with one metadata pair:
// set + touch + append in the common case, a compaction now and then.
func BenchmarkRotate(b *testing.B) {
	s := benchStorage(b)
	ctx := b.Context()
	v := make([]byte, 512)
	md := []session.Pair{{Audience: "default", Subject: "john"}}
	before := s.RoundTrips()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		old := ""
		for pb.Next() {
			k := sessionKey()
			if err := s.Set(ctx, "session", k, v, time.Hour, time.Now(), session.SetOptions{OldKey: old, Metadata: md}); err != nil {
				b.Error(err)
				return
			}
			old = k
		}
	})
	reportTrips(b, s, before)
}
