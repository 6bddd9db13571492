package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
)

// cookiesOf parses the Set-Cookie headers of a reply.
func cookiesOf(r reply) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		out[c.Name] = c
	}
	return out
}

func TestBrowserLogoutGoesHomeWithANotice(t *testing.T) {
	tests := []struct {
		path, notice string
	}{
		{"/logout", "You are logged out."},
		{"/logout-everywhere", "Logged out everywhere: 2 sessions ended."},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			e, _ := startMemory(t, testCfg)
			laptop, phone := e.client(t), e.client(t)
			require.Equal(t, http.StatusSeeOther, laptop.login("alice").status)
			require.Equal(t, http.StatusSeeOther, phone.login("alice").status)
			id := laptop.id()

			r := laptop.browse(http.MethodPost, tc.path, nil)
			require.Equal(t, http.StatusSeeOther, r.status, r.body)
			assert.Equal(t, "/", r.header.Get("Location"), "a bare path: nothing of the session in the URL")
			cookies := cookiesOf(r)
			require.Contains(t, cookies, app.CookieName)
			assert.Negative(t, cookies[app.CookieName].MaxAge, "the session cookie is cleared")
			require.Contains(t, cookies, app.NoticeCookieName)
			n := cookies[app.NoticeCookieName]
			assert.True(t, n.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, n.SameSite)
			assert.Equal(t, "/", n.Path)
			assert.Equal(t, 60, n.MaxAge)
			assert.NotContains(t, n.Value, id)
			assert.Empty(t, laptop.id())

			home := laptop.browse(http.MethodGet, "/", nil)
			require.Equal(t, http.StatusOK, home.status)
			assert.Contains(t, home.body, `<p role="status" id="notice"><b>`+tc.notice+`</b></p>`)
			assert.Contains(t, home.body, `action="/login"`, "the login form, to come back")
			require.Contains(t, cookiesOf(home), app.NoticeCookieName)
			assert.Negative(t, cookiesOf(home)[app.NoticeCookieName].MaxAge, "the page that shows the notice clears it")

			again := laptop.browse(http.MethodGet, "/", nil)
			assert.NotContains(t, again.body, tc.notice, "a notice is shown once")
			assert.NotContains(t, again.body, `id="notice"`)
		})
	}
}

func TestCurlAndJSONKeepTheirLogoutAnswers(t *testing.T) {
	tests := []struct {
		name, accept, want string
		json               bool
	}{
		{name: "curl", accept: "*/*", want: "logged out\n"},
		{name: "no Accept header", accept: "", want: "logged out\n"},
		{name: "text/html refused", accept: "text/html;q=0, */*", want: "logged out\n"},
		{name: "JSON named with HTML", accept: "text/html, application/json", want: `{"logged_out":1}`, json: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := startMemory(t, testCfg)
			c := e.client(t)
			require.Equal(t, http.StatusSeeOther, c.login("alice").status)
			h := http.Header{}
			if tc.accept != "" {
				h.Set("Accept", tc.accept)
			}
			r := c.doWith(http.MethodPost, "/logout", nil, h)
			require.Equal(t, http.StatusOK, r.status)
			if tc.json {
				assert.JSONEq(t, tc.want, r.body)
			} else {
				assert.Equal(t, tc.want, r.body)
			}
			assert.NotContains(t, cookiesOf(r), app.NoticeCookieName, "only a browser sent home gets a notice")
		})
	}
}

func TestNoticeShowsOnlyWhatTheAppWrote(t *testing.T) {
	for _, value := range []string{
		"<b>pwned</b>",
		"logged-out-everywhere.",
		"logged-out-everywhere.-1",
		"logged-out-everywhere.01",
		"logged-out-everywhere.99999999999",
		"logged-out-everywhere.2x",
	} {
		t.Run(value, func(t *testing.T) {
			e, _ := startMemory(t, testCfg)
			r := e.client(t).doWith(http.MethodGet, "/", nil, http.Header{
				"Accept": {browserAccept},
				"Cookie": {app.NoticeCookieName + "=" + value},
			})
			require.Equal(t, http.StatusOK, r.status)
			assert.NotContains(t, r.body, `id="notice"`)
			assert.NotContains(t, r.body, "pwned")
			require.Contains(t, cookiesOf(r), app.NoticeCookieName)
			assert.Negative(t, cookiesOf(r)[app.NoticeCookieName].MaxAge, "a foreign notice is cleared unread")
		})
	}
	// The counterpart: what the app writes is shown, singular included.
	e, _ := startMemory(t, testCfg)
	c := e.client(t)
	require.Equal(t, http.StatusSeeOther, c.login("alice").status)
	require.Equal(t, http.StatusSeeOther, c.browse(http.MethodPost, "/logout-everywhere", nil).status)
	assert.Contains(t, c.browse(http.MethodGet, "/", nil).body, "Logged out everywhere: 1 session ended.")
}

func TestSessionsPageSaysWhenTheIDWasLastRotated(t *testing.T) {
	e, clock := startMemory(t, testCfg)
	c := e.client(t)
	require.Equal(t, http.StatusSeeOther, c.login("alice").status)
	loggedIn := clock.Now().UTC()

	page := c.browse(http.MethodGet, "/sessions", nil)
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.body, `<time id="rotated" datetime="2023-11-14T22:13:20Z">2023-11-14 22:13:20 UTC</time>`, "minted at login")
	assert.Contains(t, page.body, `<time id="next-rotation" datetime="2023-11-14T22:14:20Z">22:14:20 UTC</time>`, "due after -rotate-every")
	_, list := c.sessions()
	assert.Equal(t, loggedIn, list.Rotated)
	assert.Equal(t, loggedIn.Add(testCfg.RotateEvery), list.NextRotation)

	clock.Advance(testCfg.RotateEvery + 5*time.Second)
	old := c.id()
	page = c.browse(http.MethodGet, "/sessions", nil)
	require.NotEqual(t, old, c.id(), "this request rotated the id")
	assert.Contains(t, page.body, `<time id="rotated" datetime="2023-11-14T22:14:25Z">`, "the page shows the rotation it made")
	_, list = c.sessions()
	assert.Equal(t, loggedIn.Add(testCfg.RotateEvery+5*time.Second), list.Rotated)
	assert.Equal(t, list.Rotated.Add(testCfg.RotateEvery), list.NextRotation)
}

func TestBrowserPostWithoutASessionGetsAPage(t *testing.T) {
	e, _ := startMemory(t, testCfg)
	c := e.client(t)
	r := c.browse(http.MethodPost, "/logout-everywhere", nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.body, `<a href="/">Log in</a>`, "a way back, not a bare text page")

	r = c.do(http.MethodPost, "/logout-everywhere", nil, false)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "not logged in\n", r.body, "curl keeps its text")
}
