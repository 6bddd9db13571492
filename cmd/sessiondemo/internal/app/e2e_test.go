package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session/driver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is shared by the app and the memory driver, so a test moves time
// for both and never sleeps.
type fakeClock = driver.ManualClock

func newFakeClock() *fakeClock { return driver.NewManualClock(time.Unix(1700000000, 0)) }

// e2e is one running app and the means to let time pass for it.
type e2e struct {
	srv     *httptest.Server
	cfg     app.Config
	advance func(time.Duration) // fake clock: move it; real clock: sleep
}

func startApp(t *testing.T, cfg app.Config, advance func(time.Duration), tls bool) *e2e {
	t.Helper()
	a, err := app.New(cfg)
	require.NoError(t, err)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(a)
	} else {
		srv = httptest.NewServer(a)
	}
	t.Cleanup(srv.Close)
	return &e2e{srv: srv, cfg: cfg, advance: advance}
}

// startMemory runs the app on the memory driver with a fake clock.
func startMemory(t *testing.T, cfg app.Config) (*e2e, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	store := memory.New(memory.WithClock(clock.Now))
	t.Cleanup(func() { assert.NoError(t, store.Close()) })
	cfg.Store, cfg.Now = store, clock.Now
	return startApp(t, cfg, clock.Advance, false), clock
}

// client is one browser: its own cookie jar, redirects not followed.
type client struct {
	t    *testing.T
	e    *e2e
	jar  *cookiejar.Jar
	http *http.Client
}

func (e *e2e) client(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := new(http.Client)
	*hc = *e.srv.Client() // a copy: the server's Client is shared
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	t.Cleanup(hc.CloseIdleConnections)
	return &client{t: t, e: e, jar: jar, http: hc}
}

// withCookie returns a new client carrying only the given session id, as a
// request in flight with an old cookie would.
func (e *e2e) withCookie(t *testing.T, name, id string) *client {
	c := e.client(t)
	c.jar.SetCookies(c.url(), []*http.Cookie{{Name: name, Value: id, Path: "/"}})
	return c
}

func (c *client) url() *url.URL {
	u, err := url.Parse(c.e.srv.URL + "/")
	require.NoError(c.t, err)
	return u
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values, wantJSON bool) reply {
	c.t.Helper()
	header := http.Header{}
	if wantJSON {
		header.Set("Accept", "application/json")
	}
	return c.doWith(method, path, form, header)
}

// browserAccept is the Accept header Chromium sends on a navigation.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"

// browse is do as a browser navigates: its Accept header, no JSON.
func (c *client) browse(method, path string, form url.Values) reply {
	c.t.Helper()
	return c.doWith(method, path, form, http.Header{"Accept": {browserAccept}})
}

func (c *client) doWith(method, path string, form url.Values, header http.Header) reply {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.e.srv.URL+path, body)
	require.NoError(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) login(user string) reply {
	c.t.Helper()
	return c.do(http.MethodPost, "/login", url.Values{"user": {user}}, false)
}

// sessions asks for the JSON list; the list is nil unless the status is 200.
func (c *client) sessions() (int, *app.SessionList) {
	c.t.Helper()
	r := c.do(http.MethodGet, "/sessions", nil, true)
	if r.status != http.StatusOK {
		return r.status, nil
	}
	var l app.SessionList
	require.NoError(c.t, json.Unmarshal([]byte(r.body), &l))
	return r.status, &l
}

// id is the session id in the client's jar, "" when none.
func (c *client) id() string {
	for _, ck := range c.jar.Cookies(c.url()) {
		if ck.Name == app.CookieName || ck.Name == app.SecureCookieName {
			return ck.Value
		}
	}
	return ""
}

func currentOf(l *app.SessionList) string {
	for _, s := range l.Sessions {
		if s.Current {
			return s.ID
		}
	}
	return ""
}

// runLifecycle is the end-to-end story, the same for every driver: two
// browsers of one user log in, one rotates its id, a request with the old
// cookie works inside the grace period and not after, the list shows both
// browsers, and logging out everywhere ends both.
func runLifecycle(t *testing.T, e *e2e) {
	laptop, phone := e.client(t), e.client(t)

	r := laptop.login("alice")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/sessions", r.header.Get("Location"))
	require.Equal(t, http.StatusSeeOther, phone.login("alice").status)
	laptopID, phoneID := laptop.id(), phone.id()
	require.Len(t, laptopID, 43, "a session id is 32 random bytes in base64url")
	require.Len(t, phoneID, 43)
	require.NotEqual(t, laptopID, phoneID)

	status, list := laptop.sessions()
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "alice", list.User)
	require.Len(t, list.Sessions, 2, "both browsers' sessions are listed")
	assert.Equal(t, app.Fingerprint(laptopID), currentOf(list))
	_, list = phone.sessions()
	require.Len(t, list.Sessions, 2)
	assert.Equal(t, app.Fingerprint(phoneID), currentOf(list))
	raw := laptop.do(http.MethodGet, "/sessions", nil, true).body
	assert.NotContains(t, raw, laptopID, "the list never shows a session id")
	assert.NotContains(t, raw, phoneID, "the list never shows another device's session id")

	// The laptop's id is due for rotation: its next request gets a new id.
	e.advance(e.cfg.RotateEvery + 100*time.Millisecond)
	status, list = laptop.sessions()
	require.Equal(t, http.StatusOK, status)
	rotated := laptop.id()
	require.Len(t, rotated, 43)
	require.NotEqual(t, laptopID, rotated, "the id rotated")
	assert.Equal(t, app.Fingerprint(rotated), currentOf(list))
	require.Len(t, list.Sessions, 2, "the rotated-away id left the list")
	for _, s := range list.Sessions {
		assert.NotEqual(t, app.Fingerprint(laptopID), s.ID)
	}

	// A request still in flight with the old cookie works and is handed the
	// new cookie again.
	inFlight := e.withCookie(t, app.CookieName, laptopID)
	status, list = inFlight.sessions()
	require.Equal(t, http.StatusOK, status, "the old id works inside the grace period")
	assert.Equal(t, "alice", list.User)
	assert.Equal(t, rotated, inFlight.id(), "the old cookie is replaced by the new one")
	assert.Equal(t, app.Fingerprint(rotated), currentOf(list))

	// After the grace period the old id is gone, the new one is not.
	e.advance(e.cfg.StaleTTL + 1100*time.Millisecond)
	late := e.withCookie(t, app.CookieName, laptopID)
	status, _ = late.sessions()
	assert.Equal(t, http.StatusUnauthorized, status, "the old id is gone after the grace period")
	status, list = laptop.sessions()
	require.Equal(t, http.StatusOK, status)
	require.Len(t, list.Sessions, 2)

	// Log out everywhere, from the phone: both browsers are logged out.
	r = phone.do(http.MethodPost, "/logout-everywhere", nil, true)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.JSONEq(t, `{"logged_out":2}`, r.body)
	assert.Empty(t, phone.id(), "the phone's cookie is cleared")
	for _, c := range []*client{laptop, phone, inFlight} {
		status, _ := c.sessions()
		assert.Equal(t, http.StatusUnauthorized, status)
		r := c.do(http.MethodGet, "/sessions", nil, false)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Contains(t, r.body, `<a href="/">Log in</a>`, "a browser is sent to the login form")
		home := c.do(http.MethodGet, "/", nil, false)
		assert.Equal(t, http.StatusOK, home.status)
		assert.Contains(t, home.body, `action="/login"`)
	}
}

func TestLifecycleMemory(t *testing.T) {
	e, _ := startMemory(t, app.Config{TTL: time.Hour, RotateEvery: time.Minute, StaleTTL: 10 * time.Second})
	runLifecycle(t, e)
}
