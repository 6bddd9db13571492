package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/tracing"
)

func ExampleNew() {
	ctx := context.Background()
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	defer func() { _ = tp.Shutdown(ctx) }()

	store := tracing.New(memory.New(),
		tracing.WithTracerProvider(tp),
		tracing.WithSystem("memory"), // the memory driver does not report one
	)
	defer func() { _ = store.Close() }() // closes the memory driver

	now := time.Now()
	alice := []session.Pair{{Audience: "web", Subject: "alice"}}
	_ = store.Set(ctx, "session", "k-secret", []byte("v-secret"), time.Hour, now,
		session.SetOptions{Metadata: alice})
	_, _ = store.Get(ctx, "session", "k-secret")
	_, err := store.Get(ctx, "session", "unknown")
	fmt.Println("miss:", errors.Is(err, session.ErrNotFound))
	_, _ = store.ReadMetadata(ctx, "session", "web", "alice", now)
	_ = store.Set(ctx, "session", "k-secret", nil, 0, now, session.SetOptions{})

	for _, span := range recorder.Ended() {
		var attrs []string
		for _, kv := range span.Attributes() {
			attrs = append(attrs, string(kv.Key)+"="+kv.Value.Emit())
		}
		slices.Sort(attrs)
		fmt.Printf("%s [%s] %s\n  %s\n", span.Name(), span.SpanKind(), span.Status().Code, strings.Join(attrs, " "))
	}
	// Output:
	// miss: true
	// set session [client] Unset
	//   db.collection.name=session db.operation.name=set db.system.name=memory sessionstore.metadata.count=1
	// get session [client] Unset
	//   db.collection.name=session db.operation.name=get db.system.name=memory sessionstore.found=true
	// get session [client] Unset
	//   db.collection.name=session db.operation.name=get db.system.name=memory sessionstore.found=false
	// read_metadata session [client] Unset
	//   db.collection.name=session db.operation.name=read_metadata db.system.name=memory sessionstore.audience=web sessionstore.listed=1
	// set session [client] Error
	//   db.collection.name=session db.operation.name=set db.system.name=memory error.type=invalid_argument
}

// Metrics are opt-in: with WithMeterProvider every operation is measured in
// the db.client.operation.duration histogram.
func ExampleWithMeterProvider() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(ctx) }()

	store := tracing.New(memory.New(),
		tracing.WithMeterProvider(mp),
		tracing.WithSystem("memory"),
		tracing.WithAttributes(attribute.String("deployment.environment.name", "prod")),
	)
	defer func() { _ = store.Close() }()
	_, _ = store.Get(ctx, "session", "k-secret")
	_, _ = store.Get(ctx, "session", "")

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	m := rm.ScopeMetrics[0].Metrics[0]
	fmt.Println(m.Name, "in", m.Unit)
	points := m.Data.(metricdata.Histogram[float64]).DataPoints
	slices.SortFunc(points, func(a, b metricdata.HistogramDataPoint[float64]) int {
		return strings.Compare(a.Attributes.Encoded(attribute.DefaultEncoder()), b.Attributes.Encoded(attribute.DefaultEncoder()))
	})
	for _, dp := range points {
		errType, _ := dp.Attributes.Value("error.type")
		fmt.Printf("count=%d bounds=%v error.type=%q\n", dp.Count, dp.Bounds, errType.Emit())
	}
	// Output:
	// db.client.operation.duration in s
	// count=1 bounds=[0.001 0.005 0.01 0.05 0.1 0.5 1 5 10] error.type=""
	// count=1 bounds=[0.001 0.005 0.01 0.05 0.1 0.5 1 5 10] error.type="invalid_argument"
}
