package tracing_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/tracing"
)

// benchVariants builds the storages the benchmarks compare: the memory
// driver alone, wrapped with a no-op tracer provider and no meter, wrapped
// with the global provider while none is installed (the default of New in a
// program that never sets one up), and wrapped with the SDK recording every
// span (AlwaysSample, a synchronous no-op exporter) and the histogram; and
// with the SDK sampling every span out (NeverSample, no meter).
func benchVariants(b *testing.B) []struct {
	name  string
	store func(s session.Storage) session.Storage
} {
	return []struct {
		name  string
		store func(s session.Storage) session.Storage
	}{
		{"wrap=direct", func(s session.Storage) session.Storage { return s }},
		{"wrap=noop", func(s session.Storage) session.Storage {
			return tracing.New(s, tracing.WithTracerProvider(tracenoop.NewTracerProvider()))
		}},
		{"wrap=global-unset", func(s session.Storage) session.Storage { return tracing.New(s) }},
		{"wrap=sdk-unsampled", func(s session.Storage) session.Storage {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			return tracing.New(s, tracing.WithTracerProvider(tp))
		}},
		{"wrap=sdk", func(s session.Storage) session.Storage {
			tp := sdktrace.NewTracerProvider(
				sdktrace.WithSampler(sdktrace.AlwaysSample()),
				sdktrace.WithSyncer(tracetest.NewNoopExporter()))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			b.Cleanup(func() {
				_ = tp.Shutdown(context.Background())
				_ = mp.Shutdown(context.Background())
			})
			return tracing.New(s, tracing.WithTracerProvider(tp), tracing.WithMeterProvider(mp))
		}},
	}
}

// measureCPU pins the benchmark to its OS thread and returns a func that
// reports the thread's CPU time per operation as cpu-ns/op. Work on other
// threads (the garbage collector's background marking) is not in it.
func measureCPU(b *testing.B) (stop func()) {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() {
		end, ok2 := threadCPU()
		runtime.UnlockOSThread()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, 256)
	for _, v := range benchVariants(b) {
		b.Run(v.name, func(b *testing.B) {
			driver := memory.New()
			b.Cleanup(func() { _ = driver.Close() })
			s := v.store(driver)
			if err := driver.Set(ctx, "session", secretKey, value, time.Hour, time.Now(), session.SetOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			stop := measureCPU(b)
			for b.Loop() {
				if _, err := s.Get(ctx, "session", secretKey); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
	}
}

func BenchmarkSet(b *testing.B) {
	ctx := context.Background()
	value := make([]byte, 256)
	now := time.Now()
	for _, v := range benchVariants(b) {
		b.Run(v.name, func(b *testing.B) {
			driver := memory.New()
			b.Cleanup(func() { _ = driver.Close() })
			s := v.store(driver)
			b.ReportAllocs()
			stop := measureCPU(b)
			for b.Loop() {
				if err := s.Set(ctx, "session", secretKey, value, time.Hour, now, session.SetOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
	}
}

// constStore does nothing, so that BenchmarkGetOverhead measures the
// wrapper alone.
type constStore struct{ v []byte }

func (constStore) Set(context.Context, string, string, []byte, time.Duration, time.Time, session.SetOptions) error {
	return nil
}
func (c constStore) Get(context.Context, string, string) ([]byte, error) { return c.v, nil }
func (constStore) Delete(context.Context, string, string, time.Time, []session.Pair) error {
	return nil
}
func (constStore) ReadMetadata(context.Context, string, string, string, time.Time) (map[string]time.Time, error) {
	return nil, nil
}
func (constStore) Close() error { return nil }

// BenchmarkGetOverhead is the wrapper's own cost per Get, over a Storage
// that does nothing: the absolute overhead a real driver's Get pays.
func BenchmarkGetOverhead(b *testing.B) {
	ctx := context.Background()
	for _, v := range benchVariants(b) {
		b.Run(v.name, func(b *testing.B) {
			s := v.store(constStore{v: []byte("x")})
			b.ReportAllocs()
			stop := measureCPU(b)
			for b.Loop() {
				if _, err := s.Get(ctx, "session", secretKey); err != nil {
					b.Fatal(err)
				}
			}
			stop()
		})
	}
}
