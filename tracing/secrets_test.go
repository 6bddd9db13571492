package tracing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/tracing"
)

// TestNothingSecretIsRecorded drives every operation, on success and on
// failure, with distinctive keys, values and subjects, and searches every
// piece of recorded telemetry for them.
func TestNothingSecretIsRecorded(t *testing.T) {
	r := newProbeRig(t, tracing.WithAttributes(attribute.String("team", "web")))
	ctx := context.Background()
	md := []session.Pair{{Audience: audience, Subject: secretSubj}}
	s := r.store
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretOldKey, []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{OldKey: secretOldKey, Metadata: md})
	_, _ = s.Get(ctx, "session", secretKey)
	_, _ = s.Get(ctx, "session", secretOldKey)
	_, _ = s.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	_ = s.Delete(ctx, "session", secretKey, t0, md)
	// Failures, with the secrets in the arguments.
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), 0, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretKey+";", []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{OldKey: secretKey})
	_, _ = s.ReadMetadata(ctx, "session", "", secretSubj, t0)
	_ = s.Delete(ctx, "session", secretKey, t0, []session.Pair{{Subject: secretSubj}})
	// A driver error whose text quotes the key and the value.
	r.probe.failWith(&leakyError{reply: secretKey + " " + secretValue + " " + secretSubj})
	_, _ = s.Get(ctx, "session", secretKey)
	_ = s.Set(ctx, "session", secretKey, []byte(secretValue), time.Hour, t0, session.SetOptions{Metadata: md})
	_, _ = s.ReadMetadata(ctx, "session", audience, secretSubj, t0)
	_ = s.Delete(ctx, "session", secretKey, t0, md)

	var texts []string
	kv := func(attrs []attribute.KeyValue) {
		for _, a := range attrs {
			texts = append(texts, string(a.Key), a.Value.Emit())
		}
	}
	spans := r.spans.Ended()
	require.Len(t, spans, 16)
	for _, sp := range spans {
		texts = append(texts, sp.Name(), sp.Status().Description)
		kv(sp.Attributes())
		kv(sp.Resource().Attributes())
		for _, ev := range sp.Events() {
			texts = append(texts, ev.Name)
			kv(ev.Attributes)
		}
		for _, l := range sp.Links() {
			kv(l.Attributes)
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(ctx, &rm))
	kv(rm.Resource.Attributes())
	points := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			texts = append(texts, m.Name, m.Description, m.Unit)
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				points++
				kv(dp.Attributes.ToSlice())
				for _, ex := range dp.Exemplars {
					kv(ex.FilteredAttributes)
				}
			}
		}
	}
	require.NotZero(t, points)
	all := strings.Join(texts, "\n")
	// The search is not vacuous: what may be recorded is there.
	require.Contains(t, all, "session")
	require.Contains(t, all, audience)
	require.Contains(t, all, "web")
	for _, secret := range []string{"secret", secretKey, secretOldKey, secretValue, secretSubj} {
		assert.NotContains(t, all, secret)
	}
}
