package mcproxy_test

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/bench/mcproxy"
)

// fakeMemcached answers storage commands with STORED (after reading their
// data) and anything else with END, one answer per command.
func fakeMemcached(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { _ = ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			f := strings.Fields(line)
			answer := "END\r\n"
			if len(f) == 5 && f[0] == "set" {
				n, _ := strconv.Atoi(f[4])
				if _, err := br.Discard(n + 2); err != nil {
					return
				}
				answer = "STORED\r\n"
			}
			if _, err := c.Write([]byte(answer)); err != nil {
				return
			}
		}
	}()
	return ln.Addr().String()
}

func TestCountsCommandsAndRoundTrips(t *testing.T) {
	defer goleak.VerifyNone(t)
	p, err := mcproxy.Start(fakeMemcached(t))
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Close()) }()

	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	br := bufio.NewReader(c)
	exchange := func(req string, answers int) {
		t.Helper()
		_, err := c.Write([]byte(req))
		require.NoError(t, err)
		for range answers {
			_, err := br.ReadString('\n')
			require.NoError(t, err)
		}
	}

	start := p.Snapshot()
	// A value that looks like a command must not be counted as one.
	exchange("set k 0 0 12\r\nget x\r\nget y\r\n", 1)
	exchange("get k\r\n", 1)
	exchange("get a\r\nget b\r\n", 2) // pipelined: one round trip, two commands
	d := p.Snapshot().Sub(start)

	assert.Equal(t, 3, d.RoundTrips)
	assert.Equal(t, map[string]int{"set": 1, "get": 3}, d.Commands)
}

func TestSubDropsUnchanged(t *testing.T) {
	a := mcproxy.Counts{RoundTrips: 5, Commands: map[string]int{"get": 2, "set": 1}}
	b := mcproxy.Counts{RoundTrips: 2, Commands: map[string]int{"get": 2}}
	assert.Equal(t, mcproxy.Counts{RoundTrips: 3, Commands: map[string]int{"set": 1}}, a.Sub(b))
}
