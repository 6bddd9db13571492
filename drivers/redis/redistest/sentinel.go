package redistest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/internal/containertest"
)

// DefaultMasterName is the name the Sentinels of StartSentinel monitor.
const DefaultMasterName = "mymaster"

// Sentinel is a master, one replica and three Sentinels (quorum 2), each a container on
// the host's network on a loopback port of its own, so that the master address the
// Sentinels hand out is the one a client on this machine reaches. The Sentinels declare
// a master down after one second and fail over within a few.
type Sentinel struct {
	// Master is the name the Sentinels monitor.
	Master string
	// Addrs are the Sentinels' addresses, "127.0.0.1:<port>".
	Addrs []string
	// Primary is the server started as the master, Replica the one started as its
	// replica; after a failover the roles are swapped (see MasterAddr).
	Primary, Replica *Server
	// Sentinels are the Sentinel containers, in the order of Addrs.
	Sentinels []*Server
}

// StartSentinel starts a Sentinel set-up for the test, waits until the replica is in sync
// and every Sentinel knows the replica and the two other Sentinels (a failover needs
// that), and removes it when the test ends. It skips without Docker like Start.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := RunSentinel(ctx)
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() {
		if err := s.Terminate(context.Background()); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return s
}

// RunSentinel starts a Sentinel set-up like StartSentinel, for a TestMain; the caller
// must Terminate it.
func RunSentinel(ctx context.Context) (*Sentinel, error) {
	s := &Sentinel{Master: DefaultMasterName}
	primary, err := startNode(ctx, func(port int) containertest.Spec {
		return hostNodeSpec(port, append([]string{"redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1"},
			serverArgs(options{})...), pingProbe(""), "")
	})
	if err != nil {
		return nil, err
	}
	s.Primary = primary
	builds := []nodeSpec{func(port int) containertest.Spec {
		return hostNodeSpec(port, append([]string{"redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--replicaof", "127.0.0.1", strconv.Itoa(primary.Port)}, serverArgs(options{})...), pingProbe(""), "")
	}}
	for range 3 {
		builds = append(builds, func(port int) containertest.Spec {
			conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir /tmp\n"+
				"sentinel monitor %s 127.0.0.1 %d 2\n"+
				"sentinel down-after-milliseconds %s 1000\n"+
				"sentinel failover-timeout %s 3000\n",
				port, s.Master, primary.Port, s.Master, s.Master)
			// Mode 0666: the Sentinel rewrites its configuration file.
			file := containertest.File{Content: []byte(conf), ContainerPath: "/data/sentinel.conf", Mode: 0o666}
			// A Sentinel never logs "Ready to accept connections".
			return hostNodeSpec(port, []string{"redis-sentinel", "/data/sentinel.conf"}, nil, "+monitor master", file)
		})
	}
	rest, err := startNodes(ctx, builds)
	if err != nil {
		_ = terminateAll([]*Server{primary})
		return nil, err
	}
	s.Replica, s.Sentinels = rest[0], rest[1:]
	for _, n := range s.Sentinels {
		s.Addrs = append(s.Addrs, n.Addr)
	}
	if err := s.WaitReady(ctx); err != nil {
		_ = s.Terminate(context.Background())
		return nil, err
	}
	return s, nil
}

// WaitReady waits until the current master has a replica in sync and every Sentinel
// sees it with one replica and two other Sentinels.
func (s *Sentinel) WaitReady(ctx context.Context) error {
	return poll(ctx, "sentinel set-up not ready", func(ctx context.Context) error {
		master, err := s.MasterAddr(ctx)
		if err != nil {
			return err
		}
		repl, err := commandText(ctx, master, "INFO", "replication")
		if err != nil {
			return err
		}
		if infoField(repl, "role") != "master" || infoField(repl, "connected_slaves") != "1" {
			return fmt.Errorf("master %s: no replica connected", master)
		}
		for _, addr := range s.Addrs {
			v, err := command(ctx, addr, "SENTINEL", "MASTER", s.Master)
			if err != nil {
				return fmt.Errorf("sentinel %s: %w", addr, err)
			}
			f := fields(v)
			if f["num-slaves"] != "1" || f["num-other-sentinels"] != "2" {
				return fmt.Errorf("sentinel %s: sees %s replicas and %s other sentinels", addr, f["num-slaves"], f["num-other-sentinels"])
			}
			if f["ip"]+":"+f["port"] != master {
				return fmt.Errorf("sentinel %s: sees the master at %s:%s", addr, f["ip"], f["port"])
			}
		}
		for _, n := range []*Server{s.Primary, s.Replica} {
			if n.Addr == master {
				continue
			}
			repl, err := commandText(ctx, n.Addr, "INFO", "replication")
			if err != nil {
				return err
			}
			if infoField(repl, "master_link_status") != "up" {
				return fmt.Errorf("replica %s not in sync", n.Addr)
			}
		}
		return nil
	})
}

// MasterAddr asks the Sentinels for the current master's address.
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	var lastErr error
	for _, addr := range s.Addrs {
		v, err := command(ctx, addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.Master)
		if err != nil {
			lastErr = err
			continue
		}
		if a, ok := v.([]any); ok && len(a) == 2 {
			host, _ := a[0].(string)
			port, _ := a[1].(string)
			return host + ":" + port, nil
		}
	}
	return "", fmt.Errorf("redistest: no Sentinel named the master: %v", lastErr)
}

// Server returns the data node (Primary or Replica) at addr, or nil.
func (s *Sentinel) Server(addr string) *Server {
	for _, n := range []*Server{s.Primary, s.Replica} {
		if n != nil && n.Addr == addr {
			return n
		}
	}
	return nil
}

// Terminate removes every container. StartSentinel's cleanup calls it; after RunSentinel
// the caller must.
func (s *Sentinel) Terminate(context.Context) error {
	if err := terminateAll(append([]*Server{s.Primary, s.Replica}, s.Sentinels...)); err != nil {
		return fmt.Errorf("redistest: sentinel: %w", err)
	}
	return nil
}

// fields turns a flat name/value array reply into a map.
func fields(v any) map[string]string {
	a, _ := v.([]any)
	m := make(map[string]string, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		k, _ := a[i].(string)
		val, _ := a[i+1].(string)
		m[k] = val
	}
	return m
}
