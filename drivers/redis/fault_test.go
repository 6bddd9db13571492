package redis_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/redis"
	"github.com/sessionstore/sessionstore/drivers/redis/redistest"
	"github.com/sessionstore/sessionstore/session"
)

// The fault tests start topologies of their own (a fault on a shared one would disturb the
// other tests). They assert errors and outcomes, never speed.

// eventually retries op until it succeeds or a minute passes, and returns the errors it
// saw on the way.
func eventually(t *testing.T, what string, op func(ctx context.Context) error) []error {
	t.Helper()
	var seen []error
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		err := op(ctx)
		cancel()
		if err == nil {
			return seen
		}
		seen = append(seen, err)
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after a minute: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requireUnavailable asserts that err is a clear outage error: ErrUnavailable (or the
// call's own deadline), never a miss, and quoting no key.
func requireUnavailable(t *testing.T, err error, keys ...string) {
	t.Helper()
	require.Error(t, err)
	require.NotErrorIs(t, err, session.ErrNotFound, "an outage is not a miss")
	assert.True(t, errors.Is(err, redis.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded), "want ErrUnavailable, got %v", err)
	for _, k := range keys {
		assert.NotContains(t, err.Error(), k)
	}
}

// TestServerRestart: calls during an outage fail with ErrUnavailable, and the same
// Storage works again once the server is back (empty: nothing is persisted).
func TestServerRestart(t *testing.T) {
	srv := redistest.Start(t)
	s := newStorage(t, redis.Config{Host: srv.Host, Port: srv.Port, ConnectTimeout: time.Second})
	ctx := t.Context()
	k := sessionKey()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	require.NoError(t, s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: md}))

	require.NoError(t, srv.Stop(ctx))
	_, err := s.Get(ctx, "session", k)
	requireUnavailable(t, err, k)
	err = s.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: md})
	requireUnavailable(t, err, k)

	require.NoError(t, srv.Start(ctx))
	for _, err := range eventually(t, "Get after the restart", func(ctx context.Context) error {
		_, err := s.Get(ctx, "session", k)
		if errors.Is(err, session.ErrNotFound) {
			return nil // the restarted server is empty
		}
		return err
	}) {
		requireUnavailable(t, err, k)
	}
	require.NoError(t, s.Set(ctx, "session", k, []byte("v2"), time.Hour, time.Now(), session.SetOptions{Metadata: md}))
	live, err := s.ReadMetadata(ctx, "session", "a", "s", time.Now())
	require.NoError(t, err)
	assert.Contains(t, live, k)
}

// TestSentinelFailover: the master stops; the Sentinels promote the replica; the same
// Storage keeps working, and the sessions written (and replicated) before the stop are
// there, listed.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	sen := redistest.StartSentinel(t)
	s := newStorage(t, redis.Config{Sentinels: sen.Addrs, Master: sen.Master, ConnectTimeout: time.Second, ReadTimeout: time.Second})
	ctx := t.Context()
	md := []session.Pair{{Audience: "a", Subject: "s"}}
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = sessionKey()
		require.NoError(t, s.Set(ctx, "session", keys[i], []byte(keys[i]), time.Hour, time.Now(), session.SetOptions{Metadata: md}))
	}
	master := rawClient(t, goredis.NewClient(&goredis.Options{Addr: sen.Primary.Addr}))
	n, err := master.Do(ctx, "wait", 1, 5000).Int()
	require.NoError(t, err)
	require.Equal(t, 1, n, "the replica acknowledged the writes")

	require.NoError(t, sen.Primary.Stop(ctx))
	k := sessionKey()
	for _, err := range eventually(t, "Set after the master stopped", func(ctx context.Context) error {
		return s.Set(ctx, "session", k, []byte("after"), time.Hour, time.Now(), session.SetOptions{Metadata: md})
	}) {
		requireUnavailable(t, err, k)
	}
	// The Sentinels learn of the promotion one after the other (go-redis found a Sentinel
	// that knew): ask until the one MasterAddr asks agrees.
	require.Eventually(t, func() bool {
		addr, err := sen.MasterAddr(ctx)
		return err == nil && addr == sen.Replica.Addr
	}, 30*time.Second, 100*time.Millisecond, "the replica was promoted")

	for _, key := range keys {
		v, err := s.Get(ctx, "session", key)
		require.NoError(t, err, "a session written before the failover")
		assert.Equal(t, key, string(v))
	}
	live, err := s.ReadMetadata(ctx, "session", "a", "s", time.Now())
	require.NoError(t, err)
	assert.Len(t, live, len(keys)+1)
}

// TestClusterFaults runs on a Cluster of its own whose replicas never fail over and whose
// masters serve their slots even when another master is down, so that an outage is
// confined to one master's slots until it returns.
func TestClusterFaults(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t,
		redistest.WithNodeArgs("--cluster-require-full-coverage", "no"),
		redistest.WithReplicaArgs("--cluster-replica-no-failover", "yes"))
	raw := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs})
	t.Cleanup(func() { _ = raw.Close() })
	t.Run("SlotMigratedUnderLoad", func(t *testing.T) { slotMigration(t, cl, raw) })
	t.Run("MasterDown", func(t *testing.T) { masterDown(t, cl, raw) })
}

// slotMigration moves the slot that holds every key of a Storage (its prefix is a hash
// tag) from its master to another and back, while workers Set (with two index pairs and
// rotations), Get, ReadMetadata and Delete there: go-redis follows the ASK and MOVED
// redirections, and no error reaches the callers.
func slotMigration(t *testing.T, cl *redistest.Cluster, raw *goredis.ClusterClient) {
	ctx := t.Context()
	tag := "{" + uniquePrefix() + "}"
	slot, err := raw.ClusterKeySlot(ctx, tag).Result()
	require.NoError(t, err)
	src, err := cl.MasterOf(ctx, int(slot))
	require.NoError(t, err)
	var dst *redistest.Server
	for _, n := range cl.Nodes[:cl.Masters] {
		if n != src {
			dst = n
			break
		}
	}
	// Fillers make each pass take a while: the slot is migrated a few keys at a time.
	for i := range 600 {
		require.NoError(t, raw.Set(ctx, tag+":fill:"+itoa(int64(i)), "x", time.Hour).Err())
	}
	// The Storage's client counts the redirections its nodes answer with, to show that
	// the workers did run into the migration.
	var redirects redirectCounter
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs, ContextTimeoutEnabled: true})
	client.OnNewNode(func(n *goredis.Client) { n.AddHook(&redirects) })
	s := newStorage(t, redis.Config{Client: client, CloseClient: true, Prefix: tag})
	md := []session.Pair{{Audience: "a", Subject: "s"}, {Audience: "b", Subject: "s"}}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	ops := 0
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := sessionLifecycle(ctx, s, md); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
				mu.Lock()
				ops++
				mu.Unlock()
			}
		})
	}
	migrate(t, cl, int(slot), src, dst)
	migrate(t, cl, int(slot), dst, src)
	close(stop)
	wg.Wait()
	ask, moved := redirects.ask.Load(), redirects.moved.Load()
	t.Logf("%d session lifecycles (5 calls each) during two migrations of slot %d: %d ASK and %d MOVED redirections followed", ops, slot, ask, moved)
	require.Empty(t, failures, "no error reaches the caller during a slot migration")
	require.Positive(t, ops)
	require.Positive(t, ask+moved, "the workers ran into the migration")
}

// sessionLifecycle is one session's life: Set, Get, a rotation, ReadMetadata, Delete.
func sessionLifecycle(ctx context.Context, s *redis.Storage, md []session.Pair) error {
	k1, k2 := sessionKey(), sessionKey()
	now := time.Now()
	if err := s.Set(ctx, "session", k1, []byte("v1"), time.Hour, now, session.SetOptions{Metadata: md}); err != nil {
		return err
	}
	if v, err := s.Get(ctx, "session", k1); err != nil || string(v) != "v1" {
		return errors.Join(errors.New("get after set"), err)
	}
	if err := s.Set(ctx, "session", k2, []byte("v2"), time.Hour, now, session.SetOptions{OldKey: k1, Remember: true, Metadata: md}); err != nil {
		return err
	}
	live, err := s.ReadMetadata(ctx, "session", "b", "s", now)
	if err != nil {
		return err
	}
	if _, ok := live[k2]; !ok {
		return errors.New("the rotated session is not listed")
	}
	if _, ok := live[k1]; ok {
		return errors.New("the rotated-away session is still listed")
	}
	return s.Delete(ctx, "session", k2, now, md)
}

// migrate moves slot from src to dst as redis-cli --cluster reshard does: IMPORTING and
// MIGRATING, the keys a few at a time, then the new owner announced to every master.
func migrate(t *testing.T, cl *redistest.Cluster, slot int, src, dst *redistest.Server) {
	ctx := t.Context()
	srcC := rawClient(t, goredis.NewClient(&goredis.Options{Addr: src.Addr}))
	dstC := rawClient(t, goredis.NewClient(&goredis.Options{Addr: dst.Addr}))
	srcID, err := cl.NodeID(ctx, src)
	require.NoError(t, err)
	dstID, err := cl.NodeID(ctx, dst)
	require.NoError(t, err)
	require.NoError(t, dstC.Do(ctx, "cluster", "setslot", slot, "importing", srcID).Err())
	require.NoError(t, srcC.Do(ctx, "cluster", "setslot", slot, "migrating", dstID).Err())
	for {
		keys, err := srcC.ClusterGetKeysInSlot(ctx, slot, 5).Result()
		require.NoError(t, err)
		if len(keys) == 0 {
			break
		}
		args := []any{"migrate", dst.Host, dst.Port, "", 0, 5000, "keys"}
		for _, k := range keys {
			args = append(args, k)
		}
		require.NoError(t, srcC.Do(ctx, args...).Err())
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, dstC.Do(ctx, "cluster", "setslot", slot, "node", dstID).Err())
	require.NoError(t, srcC.Do(ctx, "cluster", "setslot", slot, "node", dstID).Err())
	for _, n := range cl.Nodes[:cl.Masters] {
		if n != src && n != dst {
			c := rawClient(t, goredis.NewClient(&goredis.Options{Addr: n.Addr}))
			require.NoError(t, c.Do(ctx, "cluster", "setslot", slot, "node", dstID).Err())
		}
	}
}

// masterDown stops one master: the sessions in its slots fail with a clear error while
// every other session keeps working; once it is back the same Storage serves them all.
func masterDown(t *testing.T, cl *redistest.Cluster, raw *goredis.ClusterClient) {
	ctx := t.Context()
	s := newStorage(t, redis.Config{Nodes: cl.Addrs, ConnectTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: 1})
	keys := make([]string, 30)
	owner := make(map[string]*redistest.Server, len(keys))
	for i := range keys {
		keys[i] = sessionKey()
		require.NoError(t, s.Set(ctx, "session", keys[i], []byte(keys[i]), time.Hour, time.Now(), session.SetOptions{}))
		slot, err := raw.ClusterKeySlot(ctx, s.SessionKey("session", keys[i])).Result()
		require.NoError(t, err)
		owner[keys[i]], err = cl.MasterOf(ctx, int(slot))
		require.NoError(t, err)
	}
	victim := owner[keys[0]]
	ownerOf := func(item string) *redistest.Server {
		slot, err := raw.ClusterKeySlot(ctx, item).Result()
		require.NoError(t, err)
		n, err := cl.MasterOf(ctx, int(slot))
		require.NoError(t, err)
		return n
	}
	// pick returns a fresh value of gen whose item (name(value)) lives on a master that is
	// (down) or is not (!down) the victim.
	pick := func(gen func() string, name func(string) string, down bool) string {
		for {
			v := gen()
			if (ownerOf(name(v)) == victim) == down {
				return v
			}
		}
	}
	item := func(k string) string { return s.SessionKey("session", k) }
	index := func(sub string) string { return s.IndexKey("session", "a", sub) }
	subDown := pick(uniquePrefix, index, true) // its index is on the victim
	subUp := pick(uniquePrefix, index, false)
	mdDown, mdUp := []session.Pair{{Audience: "a", Subject: subDown}}, []session.Pair{{Audience: "a", Subject: subUp}}
	kSet, kDel, kNew := pick(sessionKey, item, false), pick(sessionKey, item, false), pick(sessionKey, item, false)
	oldDown := pick(sessionKey, item, true)
	require.NoError(t, s.Set(ctx, "session", kDel, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: mdDown}))
	require.NoError(t, s.Set(ctx, "session", oldDown, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: mdUp}))

	require.NoError(t, victim.Stop(ctx))

	// A Set whose index lives on the down master fails, and its session, written first,
	// is deleted again: it must not stay readable unlisted (contract 2.17, fail closed).
	err := s.Set(ctx, "session", kSet, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: mdDown})
	requireUnavailable(t, err, kSet)
	_, err = s.Get(ctx, "session", kSet)
	require.ErrorIs(t, err, session.ErrNotFound, "the session of a Set whose index step failed is deleted again")
	// A Delete whose index step fails leaves the session (still listed there) alone.
	err = s.Delete(ctx, "session", kDel, time.Now(), mdDown)
	requireUnavailable(t, err, kDel)
	_, err = s.Get(ctx, "session", kDel)
	require.NoError(t, err, "a Delete that failed before the session step deleted nothing")
	// A rotation whose old key lives on the down master: the new session is written and
	// listed, the old key's step fails, and the old key, alive for its whole TTL, is
	// listed again so that RevokeAll still finds it.
	err = s.Set(ctx, "session", kNew, []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: oldDown, StaleTTL: time.Second, Metadata: mdUp})
	requireUnavailable(t, err, kNew, oldDown)
	live, err := s.ReadMetadata(ctx, "session", "a", subUp, time.Now())
	require.NoError(t, err)
	assert.Contains(t, live, kNew)
	assert.Contains(t, live, oldDown, "the old key is listed again when its step failed")

	var wg sync.WaitGroup
	down, up := 0, 0
	for _, k := range keys {
		if owner[k] == victim {
			down++
		} else {
			up++
		}
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			v, err := s.Get(cctx, "session", k)
			if owner[k] == victim {
				requireUnavailable(t, err, k)
				return
			}
			if assert.NoError(t, err, "a session on a master that is up") {
				assert.Equal(t, k, string(v))
			}
			assert.NoError(t, s.Set(cctx, "session", k, []byte(k), time.Hour, time.Now(), session.SetOptions{}))
		})
	}
	wg.Wait()
	t.Logf("master down: %d sessions failed clearly, %d kept working", down, up)
	require.Positive(t, down)
	require.Positive(t, up)

	require.NoError(t, victim.Start(ctx))
	require.NoError(t, cl.WaitHealthy(ctx))
	for _, k := range keys {
		eventually(t, "Set after the master returned", func(ctx context.Context) error {
			return s.Set(ctx, "session", k, []byte("again"), time.Hour, time.Now(), session.SetOptions{})
		})
		v, err := s.Get(ctx, "session", k)
		require.NoError(t, err)
		assert.Equal(t, "again", string(v))
	}
}

// redirectCounter is a node hook counting the ASK and MOVED answers go-redis follows.
type redirectCounter struct{ ask, moved atomic.Int64 }

func (r *redirectCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (r *redirectCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		r.count(cmd.Err())
		return err
	}
}
func (r *redirectCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			r.count(c.Err())
		}
		return err
	}
}

func (r *redirectCounter) count(err error) {
	switch {
	case goredis.HasErrorPrefix(err, "ASK"):
		r.ask.Add(1)
	case goredis.HasErrorPrefix(err, "MOVED"):
		r.moved.Add(1)
	}
}
