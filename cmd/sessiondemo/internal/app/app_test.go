package app_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

var testCfg = app.Config{TTL: time.Hour, RotateEvery: time.Minute, StaleTTL: 10 * time.Second}

// faultyStore counts calls, and fails them all once broken, or panics.
type faultyStore struct {
	session.Storage
	broken, panics atomic.Bool
	calls          atomic.Int64
}

var errBackend = errors.New("backend down")

func (f *faultyStore) check() error {
	f.calls.Add(1)
	if f.panics.Load() {
		panic("storage bug")
	}
	if f.broken.Load() {
		return errBackend
	}
	return nil
}

func (f *faultyStore) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.Storage.Set(ctx, name, key, value, ttl, now, opts)
}

func (f *faultyStore) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.Storage.Get(ctx, name, key)
}

func (f *faultyStore) Delete(ctx context.Context, name, key string, now time.Time, md []session.Pair) error {
	if err := f.check(); err != nil {
		return err
	}
	return f.Storage.Delete(ctx, name, key, now, md)
}

func (f *faultyStore) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	return f.Storage.ReadMetadata(ctx, name, audience, subject, now)
}

// startFaulty runs the app on a faultyStore over the memory driver, logging
// into the returned buffer.
func startFaulty(t *testing.T) (*e2e, *faultyStore, *fakeClock, *bytes.Buffer) {
	t.Helper()
	clock := newFakeClock()
	mem := memory.New(memory.WithClock(clock.Now))
	t.Cleanup(func() { assert.NoError(t, mem.Close()) })
	store := &faultyStore{Storage: mem}
	var logs bytes.Buffer
	cfg := testCfg
	cfg.Store, cfg.Now = store, clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	return startApp(t, cfg, clock.Advance, false), store, clock, &logs
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := app.New(app.Config{})
	assert.Error(t, err, "a store is required")
	store := memory.New()
	defer store.Close()
	_, err = app.New(app.Config{Store: store, TTL: -time.Second})
	assert.Error(t, err)
}

func TestBadRequests(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		header  map[string]string
		cookie  string // a session cookie value to send
		want    int
		allow   string
		noStore bool // the store must not be called at all
	}{
		{name: "GET /login", method: "GET", path: "/login", want: 405, allow: "POST"},
		{name: "GET /logout", method: "GET", path: "/logout", want: 405, allow: "POST"},
		{name: "POST /sessions", method: "POST", path: "/sessions", want: 405, allow: "GET, HEAD"},
		{name: "DELETE /", method: "DELETE", path: "/", want: 405},
		{name: "unknown path", method: "GET", path: "/nope", want: 404},
		{name: "login without user", method: "POST", path: "/login", body: "", want: 400, noStore: true},
		{name: "login with markup in user", method: "POST", path: "/login", body: "user=%3Cscript%3E", want: 400, noStore: true},
		{name: "login with colon in user", method: "POST", path: "/login", body: "user=a%3Ab", want: 400, noStore: true},
		{name: "login with a long user", method: "POST", path: "/login", body: "user=" + strings.Repeat("a", 65), want: 400, noStore: true},
		{name: "login with a broken form", method: "POST", path: "/login", body: "user=%zz", want: 400, noStore: true},
		{name: "login with a huge body", method: "POST", path: "/login", body: "user=" + strings.Repeat("a", 5000), want: 413, noStore: true},
		{name: "cross-site login", method: "POST", path: "/login", body: "user=alice", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403, noStore: true},
		{name: "cross-origin logout", method: "POST", path: "/logout", header: map[string]string{"Origin": "https://evil.example"}, want: 403, noStore: true},
		{name: "sessions without cookie", method: "GET", path: "/sessions", want: 401, noStore: true},
		{name: "sessions with a malformed cookie", method: "GET", path: "/sessions", cookie: "short;", want: 401, noStore: true},
		{name: "sessions with a 43-char cookie of bad characters", method: "GET", path: "/sessions", cookie: strings.Repeat("*", 43), want: 401, noStore: true},
		{name: "sessions with a 43-char cookie holding ':'", method: "GET", path: "/sessions", cookie: strings.Repeat("A", 21) + ":" + strings.Repeat("A", 21), want: 401, noStore: true},
		{name: "sessions with an unknown id", method: "GET", path: "/sessions", cookie: strings.Repeat("A", 43), want: 401},
		{name: "logout without cookie", method: "POST", path: "/logout", want: 401, noStore: true},
		{name: "logout everywhere without cookie", method: "POST", path: "/logout-everywhere", want: 401, noStore: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, store, _, _ := startFaulty(t)
			req, err := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.method == "POST" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.cookie != "" {
				req.Header.Set("Cookie", app.CookieName+"="+tc.cookie)
			}
			resp, err := e.srv.Client().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
			if tc.allow != "" {
				assert.Equal(t, tc.allow, resp.Header.Get("Allow"))
			}
			if tc.noStore {
				assert.Zero(t, store.calls.Load(), "the store is not called")
			}
			if tc.cookie != "" && tc.want == 401 {
				require.Len(t, resp.Cookies(), 1, "a dead cookie is cleared")
				assert.Negative(t, resp.Cookies()[0].MaxAge)
			}
		})
	}
}

func TestStoreFailuresAre500WithoutIDs(t *testing.T) {
	e, store, _, logs := startFaulty(t)
	c := e.client(t)
	require.Equal(t, http.StatusSeeOther, c.login("alice").status)
	id := c.id()
	require.NotEmpty(t, id)

	store.broken.Store(true)
	for _, r := range []reply{
		c.do(http.MethodGet, "/", nil, false),
		c.do(http.MethodGet, "/sessions", nil, true),
		c.do(http.MethodPost, "/logout", nil, false),
		c.do(http.MethodPost, "/logout-everywhere", nil, true),
		e.client(t).login("bob"),
	} {
		assert.Equal(t, http.StatusInternalServerError, r.status)
		assert.Contains(t, r.body, "internal error")
		assert.NotContains(t, r.body, errBackend.Error(), "the cause stays in the log")
		assert.NotContains(t, r.body, id)
	}
	assert.Contains(t, logs.String(), errBackend.Error(), "the cause is logged")
	assert.NotContains(t, logs.String(), id, "no session id in the log")
}

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		name   string
		tls    bool
		secure bool
		want   string
	}{
		{"plain HTTP", false, false, app.CookieName},
		{"TLS", true, false, app.SecureCookieName},
		{"behind a TLS proxy", false, true, app.SecureCookieName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			store := memory.New(memory.WithClock(clock.Now))
			t.Cleanup(func() { assert.NoError(t, store.Close()) })
			cfg := testCfg
			cfg.Store, cfg.Now, cfg.Secure = store, clock.Now, tc.secure
			e := startApp(t, cfg, clock.Advance, tc.tls)
			r := e.client(t).login("alice")
			require.Equal(t, http.StatusSeeOther, r.status)
			cookies := (&http.Response{Header: r.header}).Cookies()
			require.Len(t, cookies, 1)
			ck := cookies[0]
			assert.Equal(t, tc.want, ck.Name)
			assert.Regexp(t, `^[A-Za-z0-9_-]{43}$`, ck.Value, "43 characters of base64url: never a ':', which no session key may hold")
			assert.Equal(t, "/", ck.Path)
			assert.Empty(t, ck.Domain, "__Host- cookies carry no Domain")
			assert.True(t, ck.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
			assert.Equal(t, tc.tls || tc.secure, ck.Secure)
			assert.Equal(t, int(time.Hour/time.Second), ck.MaxAge)

			// The session is stored under the cookie name, indexed by user.
			live, err := store.ReadMetadata(context.Background(), tc.want, app.DefaultAudience, "alice", clock.Now())
			require.NoError(t, err)
			assert.Contains(t, live, ck.Value)
		})
	}
}

func TestLogoutEndsOnlyThisSession(t *testing.T) {
	e, _ := startMemory(t, testCfg)
	laptop, phone := e.client(t), e.client(t)
	require.Equal(t, http.StatusSeeOther, laptop.login("alice").status)
	require.Equal(t, http.StatusSeeOther, phone.login("alice").status)

	r := laptop.do(http.MethodPost, "/logout", nil, false)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "logged out\n", r.body)
	assert.Empty(t, laptop.id())
	status, _ := laptop.sessions()
	assert.Equal(t, http.StatusUnauthorized, status)
	status, list := phone.sessions()
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, list.Sessions, 1)
}

func TestLogoutWithAStaleCookieEndsBothIDs(t *testing.T) {
	e, clock := startMemory(t, testCfg)
	laptop := e.client(t)
	require.Equal(t, http.StatusSeeOther, laptop.login("alice").status)
	old := laptop.id()
	clock.Advance(testCfg.RotateEvery)
	status, _ := laptop.sessions()
	require.Equal(t, http.StatusOK, status)
	require.NotEqual(t, old, laptop.id())

	inFlight := e.withCookie(t, app.CookieName, old)
	assert.Equal(t, http.StatusOK, inFlight.do(http.MethodPost, "/logout", nil, false).status)
	for _, c := range []*client{laptop, e.withCookie(t, app.CookieName, old)} {
		status, _ := c.sessions()
		assert.Equal(t, http.StatusUnauthorized, status)
	}
}

func TestSessionExpires(t *testing.T) {
	e, clock := startMemory(t, app.Config{TTL: time.Minute, RotateEvery: time.Hour, StaleTTL: time.Second})
	c := e.client(t)
	require.Equal(t, http.StatusSeeOther, c.login("alice").status)
	clock.Advance(time.Minute - time.Second)
	status, _ := c.sessions()
	assert.Equal(t, http.StatusOK, status)
	clock.Advance(time.Second)
	status, _ = c.sessions()
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestStaleCookieFollowsSeveralRotations(t *testing.T) {
	e, clock := startMemory(t, app.Config{TTL: time.Hour, RotateEvery: time.Minute, StaleTTL: 3 * time.Minute})
	c := e.client(t)
	require.Equal(t, http.StatusSeeOther, c.login("alice").status)
	first := c.id()
	for range 2 {
		clock.Advance(time.Minute)
		status, _ := c.sessions()
		require.Equal(t, http.StatusOK, status)
	}
	latest := c.id()
	old := e.withCookie(t, app.CookieName, first)
	status, list := old.sessions()
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, latest, old.id(), "two rotations later, the first cookie still leads to the latest id")
	assert.Len(t, list.Sessions, 1)
}

func TestLoginAgainReplacesTheSession(t *testing.T) {
	e, _ := startMemory(t, testCfg)
	c := e.client(t)
	require.Equal(t, http.StatusSeeOther, c.login("alice").status)
	first := c.id()
	require.Equal(t, http.StatusSeeOther, c.login("bob").status)
	assert.NotEqual(t, first, c.id(), "every login gets a fresh id")
	_, list := c.sessions()
	assert.Equal(t, "bob", list.User)

	alice := e.withCookie(t, app.CookieName, first)
	status, _ := alice.sessions()
	assert.Equal(t, http.StatusUnauthorized, status, "the earlier session ended")
}

func TestUnreadableValueIsLoggedOut(t *testing.T) {
	clock := newFakeClock()
	store := memory.New(memory.WithClock(clock.Now))
	t.Cleanup(func() { assert.NoError(t, store.Close()) })
	cfg := testCfg
	cfg.Store, cfg.Now = store, clock.Now
	cfg.Logger = slog.New(slog.DiscardHandler)
	e := startApp(t, cfg, clock.Advance, false)
	id := strings.Repeat("x", 43)
	require.NoError(t, store.Set(context.Background(), app.CookieName, id, []byte("{not json"), time.Hour, clock.Now(), session.SetOptions{}))
	status, _ := e.withCookie(t, app.CookieName, id).sessions()
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestPages(t *testing.T) {
	e, _ := startMemory(t, testCfg)
	c := e.client(t)
	r := c.do(http.MethodGet, "/", nil, false)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	assert.Contains(t, r.body, `<form method="post" action="/login">`)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))

	r = c.do(http.MethodPost, "/login", url.Values{"user": {"alice"}}, true)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"user":"alice","expires":"2023-11-14T23:13:20Z"}`, r.body)

	r = c.do(http.MethodGet, "/", nil, false)
	assert.Contains(t, r.body, "Logged in as <b>alice</b>")
	r = c.do(http.MethodGet, "/sessions", nil, false)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "<code>"+app.Fingerprint(c.id())+"</code>")
	assert.Contains(t, r.body, "this one")
	assert.NotContains(t, r.body, c.id())

	r = c.do(http.MethodHead, "/", nil, false)
	assert.Equal(t, http.StatusOK, r.status)
}

func TestFingerprint(t *testing.T) {
	a, b := strings.Repeat("a", 43), strings.Repeat("b", 43)
	assert.Len(t, app.Fingerprint(a), 8)
	assert.Equal(t, app.Fingerprint(a), app.Fingerprint(a))
	assert.NotEqual(t, app.Fingerprint(a), app.Fingerprint(b))
	assert.NotContains(t, a, app.Fingerprint(a))
}

func TestPanickingStoreIs500(t *testing.T) {
	e, store, _, logs := startFaulty(t)
	c := e.client(t)
	require.Equal(t, http.StatusSeeOther, c.login("alice").status)
	store.panics.Store(true)
	r := c.do(http.MethodGet, "/sessions", nil, true)
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.JSONEq(t, `{"error":"internal error"}`, r.body)
	assert.Contains(t, logs.String(), "storage bug")
}
