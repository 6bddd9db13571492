package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/session"
)

// tripCounter counts what a client sends. steps are exchanges on the caller's critical
// path: a command, or a pipeline (whose parts go to their nodes in parallel). requests
// are exchanges with one node: on a Cluster a pipeline is one request per node it
// touches. Connection handshakes (HELLO, AUTH, CLIENT …) and slot-map reloads (CLUSTER …)
// are not counted: they happen once per connection, not per operation.
type tripCounter struct {
	steps, requests atomic.Int64
}

// stepHook counts steps on the client the caller uses.
type stepHook struct{ c *tripCounter }

func (h stepHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h stepHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !housekeeping(cmd) {
			h.c.steps.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h stepHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if !allHousekeeping(cmds) {
			h.c.steps.Add(1)
		}
		return next(ctx, cmds)
	}
}

// requestHook counts requests on a node's client.
type requestHook struct{ c *tripCounter }

func (h requestHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h requestHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !housekeeping(cmd) {
			h.c.requests.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h requestHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if !allHousekeeping(cmds) {
			h.c.requests.Add(1)
		}
		return next(ctx, cmds)
	}
}

// housekeeping reports a command a client sends for itself, not for an operation.
func housekeeping(cmd goredis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "client", "cluster", "command", "readonly", "ping", "sentinel":
		return true
	}
	return false
}

func allHousekeeping(cmds []goredis.Cmder) bool {
	for _, c := range cmds {
		if !housekeeping(c) {
			return false
		}
	}
	return true
}

// countingClient returns a client on topo whose exchanges c counts.
func countingClient(t *testing.T, topo string, c *tripCounter, protocol int) goredis.UniversalClient {
	var client goredis.UniversalClient
	switch topo {
	case "single":
		client = goredis.NewClient(&goredis.Options{Addr: sharedSingle.Addr, Protocol: protocol, ContextTimeoutEnabled: true})
		client.AddHook(requestHook{c})
	case "sentinel":
		client = goredis.NewFailoverClient(&goredis.FailoverOptions{
			MasterName: sharedSentinel.Master, SentinelAddrs: sharedSentinel.Addrs, Protocol: protocol, ContextTimeoutEnabled: true,
		})
		client.AddHook(requestHook{c})
	case "cluster":
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: sharedCluster.Addrs, Protocol: protocol, ContextTimeoutEnabled: true})
		cc.OnNewNode(func(n *goredis.Client) { n.AddHook(requestHook{c}) })
		client = cc
	}
	client.AddHook(stepHook{c})
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// trips is what one operation cost.
type trips struct{ steps, requests int64 }

func (tr trips) String() string {
	if tr.steps == tr.requests {
		return fmt.Sprint(tr.steps)
	}
	return fmt.Sprintf("%d (%d requests)", tr.steps, tr.requests)
}

func measure(t *testing.T, c *tripCounter, op func() error) trips {
	t.Helper()
	s0, r0 := c.steps.Load(), c.requests.Load()
	require.NoError(t, op())
	tr := trips{c.steps.Load() - s0, c.requests.Load() - r0}
	if tr.requests < tr.steps { // single server and Sentinel: one connection, no per-node view
		tr.requests = tr.steps
	}
	return tr
}

// TestRoundTrips counts the exchanges of each operation, after a warm-up that loads the
// scripts, on each topology, beside what lua-resty-session's commands cost on the same
// topology. One server and Sentinel: every operation is one round trip. Cluster: one step
// per slot group in the order contract 2.17 requires. Lua needs 2 for a rotation (a TTL
// read, then a pipeline), 1 per step on a Cluster too, but none of its pipelines is
// atomic.
func TestRoundTrips(t *testing.T) {
	requireShared(t)
	type want struct {
		atomic, clusterSteps int64
		clusterRequests      [2]int64 // bounds: parts of a pipeline may share a node
	}
	ops := []struct {
		name string
		want want
		ours func(ctx context.Context, s *redis.Storage, k, old string) error
		lua  func(ctx context.Context, l luaNode, k, old string) error
	}{
		{"Get", want{1, 1, [2]int64{1, 1}},
			func(ctx context.Context, s *redis.Storage, k, _ string) error {
				_, err := s.Get(ctx, "session", k)
				return err
			},
			func(ctx context.Context, l luaNode, k, _ string) error {
				_, err := l.get(ctx, "session", k)
				return err
			}},
		{"Set", want{1, 1, [2]int64{1, 1}},
			func(ctx context.Context, s *redis.Storage, k, _ string) error {
				return s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{})
			},
			func(ctx context.Context, l luaNode, k, _ string) error {
				return l.set(ctx, "session", k, []byte("v"), 3600, time.Now().Unix(), "", 0, nil, false)
			}},
		{"Set+1 pair", want{1, 2, [2]int64{2, 2}},
			func(ctx context.Context, s *redis.Storage, k, _ string) error {
				return s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: rtPairs[:1]})
			},
			func(ctx context.Context, l luaNode, k, _ string) error {
				return l.set(ctx, "session", k, []byte("v"), 3600, time.Now().Unix(), "", 0, rtLua[:1], false)
			}},
		{"Set+2 pairs", want{1, 2, [2]int64{2, 3}},
			func(ctx context.Context, s *redis.Storage, k, _ string) error {
				return s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: rtPairs})
			},
			func(ctx context.Context, l luaNode, k, _ string) error {
				return l.set(ctx, "session", k, []byte("v"), 3600, time.Now().Unix(), "", 0, rtLua, false)
			}},
		{"Rotation", want{1, 1, [2]int64{1, 2}},
			func(ctx context.Context, s *redis.Storage, k, old string) error {
				return s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: old})
			},
			func(ctx context.Context, l luaNode, k, old string) error {
				return l.set(ctx, "session", k, []byte("v"), 3600, time.Now().Unix(), old, 10, nil, false)
			}},
		{"Rotation+1 pair", want{1, 3, [2]int64{3, 3}},
			func(ctx context.Context, s *redis.Storage, k, old string) error {
				return s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: old, Metadata: rtPairs[:1]})
			},
			func(ctx context.Context, l luaNode, k, old string) error {
				return l.set(ctx, "session", k, []byte("v"), 3600, time.Now().Unix(), old, 10, rtLua[:1], false)
			}},
		{"Rotation+1 pair, Remember", want{1, 3, [2]int64{3, 3}},
			func(ctx context.Context, s *redis.Storage, k, old string) error {
				return s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: old, Remember: true, Metadata: rtPairs[:1]})
			},
			func(ctx context.Context, l luaNode, k, old string) error {
				return l.set(ctx, "session", k, []byte("v"), 3600, time.Now().Unix(), old, 10, rtLua[:1], true)
			}},
		{"Delete", want{1, 1, [2]int64{1, 1}},
			func(ctx context.Context, s *redis.Storage, k, _ string) error {
				return s.Delete(ctx, "session", k, time.Now(), nil)
			},
			func(ctx context.Context, l luaNode, k, _ string) error {
				return l.unlink(ctx, "session", k, time.Now().Unix(), nil)
			}},
		{"Delete+1 pair", want{1, 2, [2]int64{2, 2}},
			func(ctx context.Context, s *redis.Storage, k, _ string) error {
				return s.Delete(ctx, "session", k, time.Now(), rtPairs[:1])
			},
			func(ctx context.Context, l luaNode, k, _ string) error {
				return l.unlink(ctx, "session", k, time.Now().Unix(), rtLua[:1])
			}},
		{"ReadMetadata", want{1, 1, [2]int64{1, 1}},
			func(ctx context.Context, s *redis.Storage, _, _ string) error {
				_, err := s.ReadMetadata(ctx, "session", rtPairs[0].Audience, rtPairs[0].Subject, time.Now())
				return err
			},
			func(ctx context.Context, l luaNode, _, _ string) error {
				_, err := l.readMetadata(ctx, "session", rtLua[0], time.Now().Unix())
				return err
			}},
	}
	var report strings.Builder
	fmt.Fprintf(&report, "\n%-28s %-10s %-10s %-22s %-10s %s\n", "operation", "single", "sentinel", "cluster", "Lua single", "Lua cluster")
	results := map[string]map[string]trips{}
	for _, topo := range []string{"single", "sentinel", "cluster"} {
		t.Run(topo, func(t *testing.T) {
			ctx := t.Context()
			ours, theirs := &tripCounter{}, &tripCounter{}
			prefix := uniquePrefix()
			s := newStorage(t, redis.Config{Prefix: prefix, Client: countingClient(t, topo, ours, 0)})
			lua := luaNode{raw: countingClient(t, topo, theirs, 2), prefix: prefix}
			prepare := func() (k, old string) {
				k, old = sessionKey(), sessionKey()
				for _, key := range []string{old, k} {
					require.NoError(t, s.Set(ctx, "session", key, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: rtPairs}))
				}
				return k, old
			}
			for _, op := range ops {
				// A first run is a warm-up: it loads the scripts on the nodes these names
				// live on.
				k, old := prepare()
				require.NoError(t, op.ours(ctx, s, k, old))
				k, old = prepare()
				got := measure(t, ours, func() error { return op.ours(ctx, s, k, old) })
				lk, lold := sessionKey(), sessionKey()
				require.NoError(t, lua.set(ctx, "session", lold, []byte("v"), 3600, time.Now().Unix(), "", 0, rtLua, false))
				require.NoError(t, lua.set(ctx, "session", lk, []byte("v"), 3600, time.Now().Unix(), "", 0, rtLua, false))
				luaGot := measure(t, theirs, func() error { return op.lua(ctx, lua, lk, lold) })
				if results[op.name] == nil {
					results[op.name] = map[string]trips{}
				}
				results[op.name][topo], results[op.name]["lua "+topo] = got, luaGot
				if topo == "cluster" {
					assert.Equal(t, op.want.clusterSteps, got.steps, "%s: steps on a Cluster", op.name)
					assert.GreaterOrEqual(t, got.requests, op.want.clusterRequests[0], "%s: requests on a Cluster", op.name)
					assert.LessOrEqual(t, got.requests, op.want.clusterRequests[1], "%s: requests on a Cluster", op.name)
				} else {
					assert.Equal(t, trips{op.want.atomic, op.want.atomic}, got, "%s: one atomic round trip", op.name)
				}
			}
			if topo != "cluster" {
				assert.Equal(t, int64(2), results["Rotation+1 pair"]["lua "+topo].steps, "Lua's rotation: a TTL read, then a pipeline")
			}
		})
	}
	for _, op := range ops {
		r := results[op.name]
		fmt.Fprintf(&report, "%-28s %-10v %-10v %-22v %-10v %v\n", op.name, r["single"], r["sentinel"], r["cluster"], r["lua single"], r["lua cluster"])
	}
	t.Log(report.String())
}

// The pairs of TestRoundTrips: plain for the driver, encoded as session.lua hands them
// to its storage for the Lua commands.
var (
	rtPairs = []session.Pair{{Audience: "default", Subject: "round-trips"}, {Audience: "admin", Subject: "round-trips"}}
	rtLua   = []luaPair{luaEncode("default", "round-trips", false), luaEncode("admin", "round-trips", false)}
)
