package redistest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// Cluster is a Redis Cluster of containers on the host's network, every node on a
// loopback port of its own (and its bus port, port+10000), so that the addresses the
// nodes announce (CLUSTER SLOTS, MOVED) are the ones a client on this machine reaches.
type Cluster struct {
	// Addrs are the nodes' addresses, "127.0.0.1:<port>", masters first as created.
	Addrs []string
	// Nodes are the nodes in the order of Addrs.
	Nodes []*Server
	// Masters is how many of the first Nodes were created as masters.
	Masters int
}

// ClusterOption configures StartCluster and RunCluster.
type ClusterOption func(*clusterOptions)

type clusterOptions struct {
	masters, replicas int
	args              []string
	replicaArgs       []string
}

// WithMasters sets the number of masters (default 3, the fewest Redis accepts).
func WithMasters(n int) ClusterOption { return func(o *clusterOptions) { o.masters = n } }

// WithReplicas sets the number of replicas per master (default 1).
func WithReplicas(n int) ClusterOption { return func(o *clusterOptions) { o.replicas = n } }

// WithNodeArgs adds redis-server flags to every node, e.g.
// WithNodeArgs("--cluster-require-full-coverage", "no") so that the slots of a master
// that is down fail alone instead of the whole cluster.
func WithNodeArgs(args ...string) ClusterOption {
	return func(o *clusterOptions) { o.args = append(o.args, args...) }
}

// WithReplicaArgs adds redis-server flags to the replicas only, e.g.
// WithReplicaArgs("--cluster-replica-no-failover", "yes") so that a master's slots stay
// down until it returns.
func WithReplicaArgs(args ...string) ClusterOption {
	return func(o *clusterOptions) { o.replicaArgs = append(o.replicaArgs, args...) }
}

// StartCluster starts a cluster for the test (three masters with one replica each unless
// told otherwise), waits until every node reports cluster_state:ok, knows every other
// node, and every replica is in sync, and removes it when the test ends. It skips
// without Docker like Start.
func StartCluster(t testing.TB, opts ...ClusterOption) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := RunCluster(ctx, opts...)
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() {
		if err := c.Terminate(context.Background()); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return c
}

// RunCluster starts a cluster like StartCluster, for a TestMain; the caller must
// Terminate it.
func RunCluster(ctx context.Context, opts ...ClusterOption) (*Cluster, error) {
	o := clusterOptions{masters: 3, replicas: 1}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.masters < 3 || o.replicas < 0 {
		return nil, errors.New("redistest: a cluster needs at least 3 masters and no negative number of replicas")
	}
	total := o.masters * (1 + o.replicas)
	builds := make([]nodeSpec, total)
	for i := range builds {
		extra := o.args
		if i >= o.masters {
			extra = append(append([]string(nil), o.args...), o.replicaArgs...)
		}
		builds[i] = func(port int) containertest.Spec {
			args := []string{"redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
				"--cluster-enabled", "yes", "--cluster-config-file", "/data/nodes-" + strconv.Itoa(port) + ".conf",
				"--cluster-node-timeout", "2000"}
			args = append(args, serverArgs(options{})...)
			return hostNodeSpec(port, append(args, extra...), pingProbe(""), "")
		}
	}
	nodes, err := startNodes(ctx, builds)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Nodes: nodes, Masters: o.masters}
	for _, n := range nodes {
		c.Addrs = append(c.Addrs, n.Addr)
	}
	if err := c.create(ctx, o.replicas); err != nil {
		_ = c.Terminate(context.Background())
		return nil, err
	}
	return c, nil
}

// create joins the nodes into a cluster with redis-cli --cluster create (run inside the
// first node's container: on the host network it reaches the others at 127.0.0.1) and
// waits until it is healthy.
func (c *Cluster) create(ctx context.Context, replicas int) error {
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := c.Nodes[0].ctr.Exec(ctx, append([]string{"redis-cli"}, args...)...); err != nil {
		return fmt.Errorf("redistest: redis-cli --cluster create: %w: %s", err, out)
	}
	return c.WaitHealthy(ctx)
}

// WaitHealthy waits until every node reports cluster_state:ok and knows every node, and
// every replica's link to its master is up.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	return poll(ctx, "cluster not healthy", func(ctx context.Context) error {
		for _, addr := range c.Addrs {
			info, err := commandText(ctx, addr, "CLUSTER", "INFO")
			if err != nil {
				return fmt.Errorf("%s: %w", addr, err)
			}
			if s := infoField(info, "cluster_state"); s != "ok" {
				return fmt.Errorf("%s: cluster_state %q", addr, s)
			}
			if n := infoField(info, "cluster_known_nodes"); n != strconv.Itoa(len(c.Addrs)) {
				return fmt.Errorf("%s: knows %s of %d nodes", addr, n, len(c.Addrs))
			}
			repl, err := commandText(ctx, addr, "INFO", "replication")
			if err != nil {
				return fmt.Errorf("%s: %w", addr, err)
			}
			if infoField(repl, "role") == "slave" && infoField(repl, "master_link_status") != "up" {
				return fmt.Errorf("%s: replica not in sync", addr)
			}
		}
		return nil
	})
}

// Node returns the node at addr, or nil.
func (c *Cluster) Node(addr string) *Server {
	for _, n := range c.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

// MasterOf returns the node that serves slot, as the cluster's first reachable node sees
// it (CLUSTER SLOTS).
func (c *Cluster) MasterOf(ctx context.Context, slot int) (*Server, error) {
	var lastErr error
	for _, addr := range c.Addrs {
		v, err := command(ctx, addr, "CLUSTER", "SLOTS")
		if err != nil {
			lastErr = err
			continue
		}
		ranges, _ := v.([]any)
		for _, r := range ranges {
			f, _ := r.([]any)
			if len(f) < 3 {
				continue
			}
			lo, _ := f[0].(int64)
			hi, _ := f[1].(int64)
			master, _ := f[2].([]any)
			if int64(slot) < lo || int64(slot) > hi || len(master) < 2 {
				continue
			}
			host, _ := master[0].(string)
			port, _ := master[1].(int64)
			if n := c.Node(addrOf(int(port))); n != nil && host == "127.0.0.1" {
				return n, nil
			}
		}
		return nil, fmt.Errorf("redistest: no master serves slot %d", slot)
	}
	return nil, fmt.Errorf("redistest: no node answered CLUSTER SLOTS: %w", lastErr)
}

// NodeID returns the cluster node id of n (CLUSTER MYID).
func (c *Cluster) NodeID(ctx context.Context, n *Server) (string, error) {
	id, err := commandText(ctx, n.Addr, "CLUSTER", "MYID")
	return strings.TrimSpace(id), err
}

// Terminate removes every node. StartCluster's cleanup calls it; after RunCluster the
// caller must.
func (c *Cluster) Terminate(context.Context) error {
	if err := terminateAll(c.Nodes); err != nil {
		return fmt.Errorf("redistest: cluster: %w", err)
	}
	return nil
}
