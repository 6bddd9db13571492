package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is an io.Writer the server goroutine writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestWalkthroughExitsZero(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-walkthrough"}, env(nil), &out, &errOut)
	assert.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "done: stored, rotated with a grace period, listed and revoked.")
}

func TestBadInvocations(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"unknown flag", []string{"-nope"}, nil, 2},
		{"stray argument", []string{"serve"}, nil, 2},
		{"zero ttl", []string{"-ttl", "0s"}, nil, 2},
		{"negative stale ttl", []string{"-stale-ttl", "-1s"}, nil, 2},
		{"bad duration in the environment", nil, map[string]string{"SESSIONDEMO_ROTATE_EVERY": "soon"}, 2},
		{"bad boolean in the environment", nil, map[string]string{"SESSIONDEMO_TRACE": "maybe"}, 2},
		{"unknown store", []string{"-store", "redis", "-addr", "127.0.0.1:0"}, nil, 1},
		{"unknown store from the environment", []string{"-addr", "127.0.0.1:0"}, map[string]string{"SESSIONDEMO_STORE": "redis"}, 1},
		{"bad memcached server", []string{"-store", "memcached", "-memcached-servers", "no-port", "-addr", "127.0.0.1:0"}, nil, 1},
		{"unusable address", []string{"-addr", "127.0.0.1:-1"}, nil, 1},
		{"help", []string{"-h"}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, env(tc.env), &out, &errOut)
			assert.Equal(t, tc.want, code, "stderr: %s", errOut.String())
			if tc.want != 0 {
				assert.NotEmpty(t, errOut.String(), "a failure says why")
			}
		})
	}
}

func TestFlagWinsOverEnvironment(t *testing.T) {
	o, err := parse([]string{"-ttl", "5m"}, env(map[string]string{
		"SESSIONDEMO_TTL": "1h", "SESSIONDEMO_ADDR": "127.0.0.1:9999", "SESSIONDEMO_TRACE": "1",
	}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, o.ttl)
	assert.Equal(t, "127.0.0.1:9999", o.addr)
	assert.True(t, o.trace)
	assert.Equal(t, "memory", o.store)

	// A malformed variable does not matter when its flag is given.
	o, err = parse([]string{"-rotate-every", "2m", "-trace=false"}, env(map[string]string{
		"SESSIONDEMO_ROTATE_EVERY": "soon", "SESSIONDEMO_TRACE": "maybe",
	}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, o.rotateEvery)
	assert.False(t, o.trace)
}

var urlRE = regexp.MustCompile(`listening on (http://\S+)`)

// serveInBackground runs the command until the test cancels it, and returns
// the URL it printed.
func serveInBackground(t *testing.T, args []string, vars map[string]string) (string, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, env(vars), &out, &errOut) }()
	stop := func() int {
		cancel()
		return <-done
	}
	var base string
	require.Eventually(t, func() bool {
		select {
		case code := <-done:
			done <- code
			return true
		default:
		}
		m := urlRE.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 30*time.Second, 10*time.Millisecond)
	if base == "" {
		t.Fatalf("exited with %d before serving; stderr: %s", stop(), errOut.String())
	}
	return base, &out, stop
}

func loginAndList(t *testing.T, base string) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	resp, err := c.PostForm(base+"/login", url.Values{"user": {"alice"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the redirect to /sessions is followed")

	req, err := http.NewRequest(http.MethodGet, base+"/sessions", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	resp, err = c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list struct {
		User     string                `json:"user"`
		Sessions []struct{ ID string } `json:"sessions"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	assert.Equal(t, "alice", list.User)
	assert.Len(t, list.Sessions, 1)
	u, err := url.Parse(base)
	require.NoError(t, err)
	cookies := jar.Cookies(u)
	require.Len(t, cookies, 1)
	return cookies[0].Value
}

func TestServeMemoryWithTracing(t *testing.T) {
	base, out, stop := serveInBackground(t, []string{"-addr", "127.0.0.1:0"}, map[string]string{"SESSIONDEMO_TRACE": "1"})
	banner := out.String()
	for _, want := range []string{"Open " + base + "/ in a browser", "curl -c jar.txt -b jar.txt -d user=alice " + base + "/login", base + "/sessions", base + "/logout-everywhere"} {
		assert.Contains(t, banner, want)
	}
	id := loginAndList(t, base)
	assert.Equal(t, 0, stop(), "a cancelled context shuts the server down cleanly")
	spans := out.String()
	assert.Contains(t, spans, `"SpanKind":3`, "one CLIENT span per storage call is printed")
	assert.Contains(t, spans, `"Name":"read_metadata session"`)
	assert.Contains(t, spans, `"SpanKind":2`, "a SERVER span per request is the parent")
	assert.Contains(t, spans, `"Value":"sessiondemo"`)
	assert.NotContains(t, spans, id, "no session id in a span")
	assert.NotContains(t, strings.TrimPrefix(spans, banner), "alice", "no subject in a span (the banner's curl line has one)")
}

func TestURLForUnspecifiedHost(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:80": "http://127.0.0.1:80", "[::]:80": "http://127.0.0.1:80", "127.0.0.1:8080": "http://127.0.0.1:8080", "[::1]:8080": "http://[::1]:8080"} {
		addr := fakeAddr(in)
		assert.Equal(t, want, urlFor(addr), in)
	}
	assert.True(t, strings.HasPrefix(urlFor(fakeAddr("weird")), "http://"))
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
