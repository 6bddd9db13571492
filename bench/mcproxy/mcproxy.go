package mcproxy

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"sync"
)

// Counts is a snapshot of the proxy's counters.
type Counts struct {
	RoundTrips int
	Commands   map[string]int
}

// Sub returns c − o.
func (c Counts) Sub(o Counts) Counts {
	d := Counts{RoundTrips: c.RoundTrips - o.RoundTrips, Commands: map[string]int{}}
	for k, v := range c.Commands {
		if n := v - o.Commands[k]; n != 0 {
			d.Commands[k] = n
		}
	}
	return d
}

// Proxy forwards connections to one memcached and counts.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	counts Counts
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool
}

// Start listens on a free loopback port and forwards to upstream.
func Start(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mcproxy: listen: %w", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, counts: Counts{Commands: map[string]int{}}, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr is the address clients dial ("127.0.0.1:port").
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Snapshot returns the counters so far.
func (p *Proxy) Snapshot() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Counts{RoundTrips: p.counts.RoundTrips, Commands: maps.Clone(p.counts.Commands)}
}

// Close stops listening, closes every proxied connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("mcproxy: close: %w", err)
	}
	return nil
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// serve proxies one connection. The client side is read and parsed here;
// the server side is copied back in a second goroutine. turn records who
// spoke last, so that a client chunk after a server answer starts a new
// round trip.
func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	if !p.track(up) {
		return
	}
	defer up.Close()

	var (
		turnMu      sync.Mutex
		serverSpoke = true // a fresh connection's first request is a round trip
	)
	p.wg.Go(func() {
		buf := make([]byte, 32*1024)
		for {
			n, err := up.Read(buf)
			if n > 0 {
				turnMu.Lock()
				serverSpoke = true
				turnMu.Unlock()
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				_ = client.Close()
				return
			}
		}
	})

	var cmds parser
	buf := make([]byte, 32*1024)
	for {
		n, err := client.Read(buf)
		if n > 0 {
			verbs := cmds.feed(buf[:n])
			turnMu.Lock()
			p.mu.Lock()
			if serverSpoke {
				serverSpoke = false
				p.counts.RoundTrips++
			}
			for _, v := range verbs {
				p.counts.Commands[v]++
			}
			p.mu.Unlock()
			turnMu.Unlock()
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// dataArg is, per command carrying a data block, the index of its length
// field.
var dataArg = map[string]int{
	"set": 4, "add": 4, "replace": 4, "append": 4, "prepend": 4, "cas": 4,
	"ms": 2,
}

// maxLine bounds a command line; a longer one is counted and skipped.
const maxLine = 64 * 1024

// parser splits a client stream into commands, skipping data blocks. It is
// fed chunks as they arrive, so counts are up to date before the request
// is forwarded.
type parser struct {
	line []byte
	skip int // data bytes (and CRLF) still to skip
}

func (ps *parser) feed(b []byte) []string {
	var verbs []string
	for len(b) > 0 {
		if ps.skip > 0 {
			n := min(ps.skip, len(b))
			ps.skip -= n
			b = b[n:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(ps.line) < maxLine {
				ps.line = append(ps.line, b...)
			}
			return verbs
		}
		ps.line = append(ps.line, b[:i+1]...)
		b = b[i+1:]
		f := bytes.Fields(ps.line)
		ps.line = ps.line[:0]
		if len(f) == 0 {
			continue
		}
		verb := string(f[0])
		verbs = append(verbs, verb)
		if j, ok := dataArg[verb]; ok && j < len(f) {
			if n, err := strconv.Atoi(string(f[j])); err == nil && n >= 0 {
				ps.skip = n + 2
			}
		}
	}
	return verbs
}
