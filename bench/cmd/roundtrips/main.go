// Command roundtrips counts the memcached commands and round trips each
// operation of our memcached driver sends, next to what lua-resty-session
// 4.1.5 sends for the same operation, and prints a markdown table. It puts
// a counting proxy (bench/mcproxy) between the driver and memcached.
//
//	go run ./cmd/roundtrips -addr 127.0.0.1:11211
//
// The address defaults to $SESSIONSTORE_BENCH_MEMCACHED.
package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessionstore/sessionstore/bench/mcproxy"
	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// reps is how many times each operation is measured; the table shows the
// mean, and the range when it varies.
const reps = 200

const name = "session"

var value = make([]byte, 1024)

// lua is what lua-resty-session 4.1.5's memcached storage sends
// (shared/spec/lua-resty-session-storage-reference.md, 2.1 to 2.5).
var lua = map[string]string{
	"Get":                                "1 (get)",
	"Set, plain":                         "1 (set)",
	"Set, 1 pair, new subject":           "2 (set, add) + p=0.1 cleanup (gets, cas): mean 2.2",
	"Rotation, 1 pair (steady state)":    "5 (set, touch, add → NOT_STORED, append, append) + p=0.1 cleanup (gets, cas): mean 5.2, max 7",
	"Rotation, 1 pair, index not cached": "as above: 5.2 mean",
	"Delete, plain":                      "1 (delete)",
	"Delete, 1 pair":                     "4 (delete, append, cleanup: gets, cas or delete)",
	"ReadMetadata":                       "1 (get)",
	"gomemcache Get / Set (floor)":       "—",
}

func main() {
	addr := flag.String("addr", os.Getenv("SESSIONSTORE_BENCH_MEMCACHED"), "memcached address host:port")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "roundtrips:", err)
		os.Exit(1)
	}
}

type row struct {
	op       string
	rts      []int
	commands map[string]int // summed over reps
}

func run(ctx context.Context, w io.Writer, addr string) error {
	if addr == "" {
		return fmt.Errorf("no memcached address: pass -addr or set SESSIONSTORE_BENCH_MEMCACHED")
	}
	p, err := mcproxy.Start(addr)
	if err != nil {
		return err
	}
	defer p.Close()
	host, port, err := net.SplitHostPort(p.Addr())
	if err != nil {
		return fmt.Errorf("proxy address: %w", err)
	}
	portN, err := strconv.Atoi(port)
	if err != nil {
		return fmt.Errorf("proxy address: %w", err)
	}
	cfg := memcached.Config{Host: host, Port: portN, Prefix: fmt.Sprintf("rt%d", time.Now().UnixNano())}
	s, err := memcached.New(cfg)
	if err != nil {
		return fmt.Errorf("memcached.New: %w", err)
	}
	defer s.Close()

	var rows []row
	measure := func(op string, setup func(i int) error, do func(i int) error) error {
		r := row{op: op, commands: map[string]int{}}
		for i := range reps {
			if setup != nil {
				if err := setup(i); err != nil {
					return fmt.Errorf("%s: setup: %w", op, err)
				}
			}
			before := p.Snapshot()
			if err := do(i); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			d := p.Snapshot().Sub(before)
			r.rts = append(r.rts, d.RoundTrips)
			for k, v := range d.Commands {
				r.commands[k] += v
			}
		}
		rows = append(rows, r)
		return nil
	}

	now := time.Now
	pair := func(tag string, i int) []session.Pair {
		return []session.Pair{{Audience: "bench", Subject: fmt.Sprintf("%s-%d", tag, i)}}
	}
	set := func(k string, opts session.SetOptions) error {
		return s.Set(ctx, name, k, value, time.Hour, now(), opts)
	}
	// Warm the connection pool so dials are not counted as a difference.
	if err := set(key("warm", 0), session.SetOptions{}); err != nil {
		return err
	}

	steps := []struct {
		op    string
		setup func(i int) error
		do    func(i int) error
	}{
		{"Set, plain", nil, func(i int) error { return set(key("plain", i), session.SetOptions{}) }},
		{"Get", nil, func(i int) error { _, err := s.Get(ctx, name, key("plain", i)); return err }},
		{"Set, 1 pair, new subject", nil, func(i int) error {
			return set(key("md", i), session.SetOptions{Metadata: pair("new", i)})
		}},
		// One subject rotated reps times in this process: the index is
		// in the driver's cache after the first rotation.
		{"Rotation, 1 pair (steady state)", nil, func(i int) error {
			return set(key("rot", i+1), session.SetOptions{OldKey: key("rot", i), Metadata: pair("rot", 0)})
		}},
		// Each rotation on a subject whose index another process wrote.
		{"Rotation, 1 pair, index not cached", func(i int) error {
			return otherProcess(cfg, key("cold", i), pair("cold", i))
		}, func(i int) error {
			return set(key("cold2", i), session.SetOptions{OldKey: key("cold", i), Metadata: pair("cold", i)})
		}},
		{"Delete, plain", nil, func(i int) error { return s.Delete(ctx, name, key("plain", i), now(), nil) }},
		{"Delete, 1 pair", nil, func(i int) error { return s.Delete(ctx, name, key("md", i), now(), pair("new", i)) }},
		{"ReadMetadata", nil, func(int) error {
			_, err := s.ReadMetadata(ctx, name, "bench", "rot-0", now())
			return err
		}},
	}
	for _, st := range steps {
		if err := measure(st.op, st.setup, st.do); err != nil {
			return err
		}
	}

	// The floor: raw gomemcache through the same proxy.
	mc := memcache.New(p.Addr())
	defer mc.Close()
	if err := measure("gomemcache Get / Set (floor)", nil, func(i int) error {
		if err := mc.Set(&memcache.Item{Key: "floor" + strconv.Itoa(i), Value: value, Expiration: 3600}); err != nil {
			return err
		}
		_, err := mc.Get("floor" + strconv.Itoa(i))
		return err
	}); err != nil {
		return err
	}
	r := &rows[len(rows)-1]
	for i := range r.rts {
		r.rts[i] /= 2 // two operations per rep
	}
	for k := range r.commands {
		r.commands[k] /= 2
	}

	fmt.Fprintf(w, "| operation | our round trips (mean of %d) | our commands per op | lua-resty-session 4.1.5 |\n|---|---:|---|---|\n", reps)
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.op, summarize(r.rts), commands(r.commands), lua[r.op])
	}
	return nil
}

// otherProcess writes a session with metadata through a separate Storage,
// as another server would, so that the measured Storage has no cached
// knowledge of the index.
func otherProcess(cfg memcached.Config, k string, md []session.Pair) error {
	o, err := memcached.New(cfg)
	if err != nil {
		return err
	}
	defer o.Close()
	return o.Set(context.Background(), name, k, value, time.Hour, time.Now(), session.SetOptions{Metadata: md})
}

func summarize(v []int) string {
	sum := 0
	for _, x := range v {
		sum += x
	}
	mean := float64(sum) / float64(len(v))
	lo, hi := slices.Min(v), slices.Max(v)
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%.2f (%d–%d)", mean, lo, hi)
}

func commands(c map[string]int) string {
	verbs := make([]string, 0, len(c))
	for v := range c {
		verbs = append(verbs, v)
	}
	slices.Sort(verbs)
	parts := make([]string, 0, len(verbs))
	for _, v := range verbs {
		parts = append(parts, fmt.Sprintf("%s %s", v, strconv.FormatFloat(float64(c[v])/reps, 'f', -1, 64)))
	}
	return strings.Join(parts, ", ")
}

// key returns a 43-character base64url key unique to (tag, i) in this run.
func key(tag string, i int) string {
	var raw [32]byte
	binary.LittleEndian.PutUint64(raw[:], uint64(i))
	copy(raw[8:], tag)
	return base64.RawURLEncoding.EncodeToString(raw[:])
}
