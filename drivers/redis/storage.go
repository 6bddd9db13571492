package redis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Storage is a session.Storage backed by Redis: one server, a master
// followed through Sentinel, or a Cluster. It is safe for concurrent use.
// Create it with New and Close it when done.
type Storage struct {
	client      goredis.UniversalClient
	shared      *sharedClient // nil for an application's client
	closeClient bool          // close an application's client on Close
	cluster     bool
	planner     driver.Planner
	endpoint    driver.Endpoint
	cleanup     time.Duration // detached deadline of fail-closed cleanups
	// promptCancel runs calls with a cancellable ctx on a goroutine of their own (see do).
	promptCancel bool

	// limit is PoolSize+Backlog: calls admitted at once (0: no limit).
	limit    int64
	inflight atomic.Int64

	closing atomic.Bool  // set first by Close: no call is admitted after it
	mu      sync.RWMutex // held shared by every call until it ends, exclusively by Close
	closed  bool
}

var (
	_ session.Storage         = (*Storage)(nil)
	_ driver.EndpointReporter = (*Storage)(nil)
)

// New validates cfg and returns a Storage. It does not connect:
// connections are made on first use, each attempt within ConnectTimeout,
// so New neither blocks nor fails because Redis is down. An invalid cfg is
// an error matching ErrConfig; New never panics.
func New(cfg Config) (*Storage, error) {
	naming := driver.Naming{Prefix: cfg.Prefix, Suffix: cfg.Suffix, HashSubject: cfg.HashSubject}
	if cfg.MaxValueSize < 0 {
		return nil, configError("MaxValueSize must not be negative")
	}
	if cfg.Client != nil {
		return newFromClient(cfg, naming)
	}
	if cfg.CloseClient {
		return nil, configError("CloseClient needs Client")
	}
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	sc, err := acquireClient(cfg.Pool, set)
	if err != nil {
		return nil, err
	}
	return &Storage{
		client:   sc.client,
		shared:   sc,
		cluster:  set.topology == cluster,
		planner:  driver.Planner{Naming: naming, MaxValueSize: set.maxValueSize},
		endpoint: driver.Endpoint{System: "redis", Address: set.endpointHost, Port: set.endpointPort},
		cleanup:  set.cleanupTimeout(),
		limit:    int64(set.poolSize + set.backlog),

		promptCancel: cfg.PromptCancel,
	}, nil
}

func newFromClient(cfg Config, naming driver.Naming) (*Storage, error) {
	if cfg.hasConnectionFields() {
		return nil, configError("Client excludes every connection field (host, nodes, sentinels, credentials, timeouts, pool, TLS)")
	}
	if cfg.Backlog < 0 {
		return nil, configError("Backlog must not be negative")
	}
	if _, ok := cfg.Client.(*goredis.Ring); ok {
		// A Ring shards keys by their hash: a script would run on the session's shard
		// with index names that ReadMetadata looks for on other shards.
		return nil, configError("Client: a *redis.Ring is not supported (it would split sessions from their indexes); use a Cluster")
	}
	maxValue := cfg.MaxValueSize
	if maxValue == 0 {
		maxValue = DefaultMaxValueSize
	}
	backlog := cfg.Backlog
	if backlog == 0 {
		backlog = DefaultBacklog
	}
	s := &Storage{
		client:      cfg.Client,
		closeClient: cfg.CloseClient,
		planner:     driver.Planner{Naming: naming, MaxValueSize: maxValue},
		endpoint:    driver.Endpoint{System: "redis"},
		cleanup:     (*settings)(nil).cleanupTimeout(),

		promptCancel: cfg.PromptCancel,
	}
	if n := clientPoolSize(cfg.Client); n > 0 {
		s.limit = int64(n + backlog)
	}
	switch c := cfg.Client.(type) {
	case *goredis.ClusterClient:
		s.cluster = true
		if addrs := c.Options().Addrs; len(addrs) > 0 {
			s.endpoint.Address, s.endpoint.Port, _ = parseHostPort(addrs[0])
		}
	case *goredis.Client:
		if o := c.Options(); o.Network != "unix" {
			s.endpoint.Address, s.endpoint.Port, _ = parseHostPort(o.Addr)
		} else {
			s.endpoint.Address = o.Addr
		}
	}
	return s, nil
}

// Endpoint implements driver.EndpointReporter: the server, the first
// Sentinel or the first seed node.
func (s *Storage) Endpoint() driver.Endpoint { return s.endpoint }

// Client returns the go-redis client the Storage uses, for inspection
// (PoolStats, hooks). Commands sent through it bypass the Storage.
func (s *Storage) Client() goredis.UniversalClient { return s.client }

// Set implements session.Storage. On a single server and behind Sentinel it
// is one atomic round trip; on a Cluster see the package documentation.
func (s *Storage) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	p, err := s.planner.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return fmt.Errorf("redis: set: %w", err)
	}
	if p.Expiry > maxScore {
		return fmt.Errorf("redis: set: %w", driver.Invalid("ttl", "ends after the year 9999"))
	}
	if err := s.enter("set"); err != nil {
		return err
	}
	if s.detach(ctx) {
		q := p
		_, err := async(s, ctx, "set", func(ctx context.Context) (struct{}, error) { return struct{}{}, s.set(ctx, &q) })
		return err
	}
	defer s.leave()
	return s.set(ctx, &p)
}

func (s *Storage) set(ctx context.Context, p *driver.SetPlan) error {
	if s.cluster {
		return s.clusterSet(ctx, p)
	}
	return s.atomicSet(ctx, p)
}

// Get implements session.Storage: one GET. A missing key matches
// session.ErrNotFound.
func (s *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	p, err := s.planner.Get(ctx, name, key)
	if err != nil {
		return nil, fmt.Errorf("redis: get: %w", err)
	}
	if err := s.enter("get"); err != nil {
		return nil, err
	}
	if s.detach(ctx) {
		q := p
		return async(s, ctx, "get", func(ctx context.Context) ([]byte, error) { return s.get(ctx, &q) })
	}
	defer s.leave()
	return s.get(ctx, &p)
}

func (s *Storage) get(ctx context.Context, p *driver.GetPlan) ([]byte, error) {
	var buf [128]byte
	v, err := s.client.Get(ctx, string(p.AppendItem(buf[:0]))).Bytes()
	if err != nil {
		return nil, errorf(ctx, "get", err)
	}
	return v, nil
}

// Delete implements session.Storage. Deleting a missing key succeeds.
func (s *Storage) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	p, err := s.planner.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return fmt.Errorf("redis: delete: %w", err)
	}
	if err := s.enter("delete"); err != nil {
		return err
	}
	if s.detach(ctx) {
		q := p
		_, err := async(s, ctx, "delete", func(ctx context.Context) (struct{}, error) { return struct{}{}, s.delete(ctx, &q) })
		return err
	}
	defer s.leave()
	return s.delete(ctx, &p)
}

func (s *Storage) delete(ctx context.Context, p *driver.DeletePlan) error {
	switch {
	case len(p.Metadata) == 0:
		return errorf(ctx, "delete", s.client.Unlink(ctx, p.Item()).Err())
	case s.cluster:
		return s.clusterDelete(ctx, p)
	}
	return s.atomicDelete(ctx, p)
}

// ReadMetadata implements session.Storage: one ZRANGE of the entries whose
// expiry is after now. Entries no writer of this driver or of
// lua-resty-session could have made (a member that is no indexable key, a
// score beyond the year 9999) are skipped and reported with an error
// matching session.ErrCorruptIndex, beside the well-formed entries; an
// index of the wrong type is reported so (and matches ErrWrongType), with
// an empty result.
func (s *Storage) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	p, err := s.planner.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, fmt.Errorf("redis: read metadata: %w", err)
	}
	if err := s.enter("read metadata"); err != nil {
		return nil, err
	}
	if s.detach(ctx) {
		q := p
		return async(s, ctx, "read metadata", func(ctx context.Context) (map[string]time.Time, error) { return s.readIndex(ctx, &q) })
	}
	defer s.leave()
	return s.readIndex(ctx, &p)
}
