package app_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
	"github.com/sessionstore/sessionstore/drivers/memory"
)

// TestBrowserMemory is the browser story on the memory driver, on a clock
// the test moves: no waiting for rotation or grace periods.
func TestBrowserMemory(t *testing.T) {
	chromium := chromiumOrSkip(t)
	clock := newFakeClock()
	store := memory.New(memory.WithClock(clock.Now))
	t.Cleanup(func() { assert.NoError(t, store.Close()) })
	e, served := startRecordedApp(t, app.Config{
		Store: store, Now: clock.Now,
		TTL: time.Hour, RotateEvery: time.Minute, StaleTTL: 10 * time.Second,
	}, clock.Advance)
	runBrowserStory(t, chromium, e, served)
}

// crossOriginPage is a page of another origin (another port of 127.0.0.1)
// whose buttons post to the app: a forged "Log out everywhere", and a login
// into the attacker's account.
func crossOriginPage(appURL string) http.Handler {
	action := html.EscapeString(appURL)
	page := `<!doctype html><title>another site</title>
<form method="post" action="` + action + `/logout-everywhere"><button id="forge-logout">Claim your prize</button></form>
<form method="post" action="` + action + `/login"><input type="hidden" name="user" value="mallory"><button id="forge-login">Or this one</button></form>`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
}

// runBrowserStory is the end-to-end story in two real browsers, the same for
// every driver: e.advance either moves a fake clock or sleeps.
func runBrowserStory(t *testing.T, chromium string, e *e2e, served *requestLog) {
	base := e.srv.URL
	other := httptest.NewServer(crossOriginPage(base))
	t.Cleanup(other.Close)
	appURL, err := url.Parse(base)
	require.NoError(t, err)
	otherURL, err := url.Parse(other.URL)
	require.NoError(t, err)
	require.Equal(t, appURL.Hostname(), otherURL.Hostname(), "same host (same site), another port (another origin)")

	laptop := startBrowser(t, chromium, "laptop", base)
	phone := startBrowser(t, chromium, "phone", base)
	browsers := []*browser{laptop, phone}

	// Two browsers: two processes, each with its own fresh profile and the
	// loopback-only switches.
	profiles := map[string]bool{}
	for _, b := range browsers {
		args := b.commandLine()
		profile := flagValue(args, "user-data-dir")
		require.NotEmpty(t, profile, b.name)
		profiles[profile] = true
		for name, value := range loopbackFlags {
			if v, ok := value.(string); ok {
				assert.Equal(t, v, flagValue(args, name), "%s: --%s", b.name, name)
			} else {
				assert.Contains(t, args, "--"+name, b.name)
			}
		}
		assert.Nil(t, b.cookie(app.CookieName), "%s starts with no cookie", b.name)
	}
	assert.Len(t, profiles, len(browsers), "a profile per browser")

	// 1. Both log in as alice. The cross-origin protection lets the
	// browser's own POST through; the login lands on the list.
	loggedIn := e.now()
	for _, b := range browsers {
		resp := b.login("alice")
		require.EqualValues(t, http.StatusOK, resp.Status, b.name)
		assert.Equal(t, base+"/sessions", b.location(), "%s: login leads to the list", b.name)
		assert.Equal(t, "Live sessions of alice:", b.text("p"), b.name)
		s, err := served.last(http.MethodPost, "/login")
		require.NoError(t, err)
		assert.Equal(t, "same-origin", s.FetchSite, b.name)
		assert.Equal(t, http.StatusSeeOther, s.Status, b.name)

		c := b.cookie(app.CookieName)
		require.NotNil(t, c, "%s holds a session cookie", b.name)
		assert.True(t, idShaped.MatchString(c.Value), "%s: a session id is 43 characters of base64url", b.name)
		assert.True(t, c.HTTPOnly, "%s: HttpOnly", b.name)
		assert.Equal(t, network.CookieSameSiteLax, c.SameSite, "%s: SameSite=Lax", b.name)
		assert.Equal(t, "/", c.Path)
		assert.False(t, c.Secure, "plain HTTP: not Secure")
		assert.Empty(t, run(b, chromedp.Evaluate[string](`document.cookie`)), "%s: no cookie is readable by the page", b.name)
	}
	laptopID, phoneID := laptop.sessionID(), phone.sessionID()
	require.NotEqual(t, laptopID, phoneID)

	// 2. Both sessions are listed in each browser, its own marked, with
	// when its id was minted.
	for _, pair := range [][2]*browser{{laptop, phone}, {phone, laptop}} {
		b, peer := pair[0], pair[1]
		require.EqualValues(t, http.StatusOK, b.open("/sessions").Status)
		assertListed(t, b, b.sessionID(), peer.sessionID())
		rotated := b.timeOf("#rotated")
		assert.WithinRange(t, rotated, loggedIn.Truncate(time.Second), e.now(), "%s: minted at login", b.name)
		assert.Equal(t, rotated.Add(e.cfg.RotateEvery), b.timeOf("#next-rotation"))
	}

	// 3. A POST from a page of another origin is refused. It is the same
	// site (only the port differs), so SameSite=Lax does not keep the
	// cookie off it: the cross-origin protection is what stops it.
	for _, forged := range []struct{ button, uri string }{
		{"#forge-logout", "/logout-everywhere"},
		{"#forge-login", "/login"},
	} {
		require.EqualValues(t, http.StatusOK, phone.open(other.URL).Status)
		resp := phone.click(forged.button)
		assert.EqualValues(t, http.StatusForbidden, resp.Status, forged.uri)
		s, err := served.last(http.MethodPost, forged.uri)
		require.NoError(t, err)
		assert.Equal(t, "same-site", s.FetchSite, forged.uri)
		assert.True(t, s.CarriedSession, "%s: the browser sent the session cookie along", forged.uri)
		assert.Equal(t, http.StatusForbidden, s.Status, forged.uri)
	}
	require.EqualValues(t, http.StatusOK, phone.open("/sessions").Status)
	assert.Equal(t, "Live sessions of alice:", phone.text("p"), "still alice, still logged in")
	assertListed(t, phone, phone.sessionID(), laptop.sessionID())

	// 4. After -rotate-every, the laptop's next request gets a new id and
	// stays logged in.
	old := laptop.sessionID()
	e.advance(e.cfg.RotateEvery + 100*time.Millisecond)
	due := e.now()
	require.EqualValues(t, http.StatusOK, laptop.open("/sessions").Status)
	rotated := laptop.sessionID()
	require.True(t, idShaped.MatchString(rotated), "the new id is id-shaped")
	require.NotEqual(t, old, rotated, "the id rotated")
	assert.Equal(t, "Live sessions of alice:", laptop.text("p"))
	assertListed(t, laptop, rotated, phone.sessionID())
	assert.WithinRange(t, laptop.timeOf("#rotated"), due.Truncate(time.Second), e.now(), "the page shows the rotation")

	// 5. The old cookie (a request that was in flight) works for the grace
	// period, and is answered with the new one; after it, it does not.
	laptop.setSessionID(old)
	require.EqualValues(t, http.StatusOK, laptop.open("/sessions").Status, "the old id inside the grace period")
	assert.Equal(t, "Live sessions of alice:", laptop.text("p"))
	assert.Equal(t, rotated, laptop.sessionID(), "the old cookie is replaced by the new one")

	e.advance(e.cfg.StaleTTL + 1100*time.Millisecond) // memcached keeps whole seconds
	laptop.setSessionID(old)
	assert.EqualValues(t, http.StatusUnauthorized, laptop.open("/sessions").Status, "the old id after the grace period")
	assert.Contains(t, laptop.text("body"), "Not logged in.")
	assert.Empty(t, laptop.sessionID(), "the dead cookie is cleared")
	laptop.setSessionID(rotated)
	require.EqualValues(t, http.StatusOK, laptop.open("/sessions").Status, "the new id outlives the old one's grace period")

	// 6. "Log out everywhere" in the phone: the phone goes home with a
	// notice, and the laptop's session is over too.
	require.EqualValues(t, http.StatusOK, phone.open("/sessions").Status)
	resp := phone.click(`form[action="/logout-everywhere"] button`)
	require.EqualValues(t, http.StatusOK, resp.Status)
	s, err := served.last(http.MethodPost, "/logout-everywhere")
	require.NoError(t, err)
	assert.Equal(t, http.StatusSeeOther, s.Status, "a browser is redirected")
	assert.Equal(t, base+"/", phone.location(), "home, with nothing in the URL")
	assert.Equal(t, "Logged out everywhere: 2 sessions ended.", phone.text("#notice"))
	assert.True(t, phone.has(`form[action="/login"]`), "the login form, to come back")
	assert.Empty(t, phone.sessionID())
	assert.Nil(t, phone.cookie(app.NoticeCookieName), "the notice is cleared once shown")
	phone.open("/")
	assert.False(t, phone.has("#notice"), "a reload shows no notice")

	// The laptop still shows its list; its next click finds the session
	// gone and offers the way back.
	assert.EqualValues(t, http.StatusUnauthorized, laptop.click(`form[action="/logout"] button`).Status)
	assert.Contains(t, laptop.text("body"), "Not logged in.")
	assert.True(t, laptop.has(`a[href="/"]`))
	assert.EqualValues(t, http.StatusUnauthorized, laptop.open("/sessions").Status)

	// 7. "Log out" ends this browser's session only, also with a notice.
	require.EqualValues(t, http.StatusOK, laptop.login("alice").Status)
	require.EqualValues(t, http.StatusOK, laptop.click(`form[action="/logout"] button`).Status)
	s, err = served.last(http.MethodPost, "/logout")
	require.NoError(t, err)
	assert.Equal(t, http.StatusSeeOther, s.Status)
	assert.Equal(t, base+"/", laptop.location())
	assert.Equal(t, "You are logged out.", laptop.text("#notice"))
	assert.Empty(t, laptop.sessionID())

	// 8. No session id in any page, any URL or any console message.
	assertNoSessionIDShown(t, served, []string{laptopID, phoneID, old, rotated}, []string{base, other.URL}, browsers...)
}

// assertListed checks the session list b shows: exactly current (marked as
// this browser's) and others, by fingerprint.
func assertListed(t *testing.T, b *browser, current string, others ...string) {
	t.Helper()
	want := map[string]bool{app.Fingerprint(current): true}
	for _, id := range others {
		want[app.Fingerprint(id)] = false
	}
	got := map[string]bool{}
	for _, r := range b.sessionRows() {
		got[r.ID] = r.Current
	}
	assert.Equal(t, want, got, "%s: the sessions listed, and which is this one", b.name)
}

// assertNoSessionIDShown looks for every session id the app handed out in
// everything the browsers showed or asked for, and in every URL the app
// served. It first makes sure that the record is not empty, so that the
// check cannot pass for lack of material.
func assertNoSessionIDShown(t *testing.T, served *requestLog, known, origins []string, browsers ...*browser) {
	t.Helper()
	ids := served.issuedIDs()
	require.Subset(t, ids, known, "the server's record has every id the browsers held")
	for _, b := range browsers {
		urls, console, pages := b.seen.snapshot()
		urls = append(urls, b.navigationURLs()...)
		require.NotEmpty(t, pages, b.name)
		require.Contains(t, urls, b.base+"/sessions", "%s: the URL record is live", b.name)
		assert.True(t, containsSubstring(console, consoleProbe), "%s: the console record is live: %q", b.name, console)
		for _, id := range ids {
			for _, kind := range []struct {
				name  string
				texts []string
			}{{"a URL", urls}, {"a console message", console}, {"a page", pages}} {
				assert.False(t, containsSubstring(kind.texts, id), "%s: session id %s… in %s", b.name, id[:4], kind.name)
			}
		}
		// Every URL is one of the two loopback servers' (or the blank page
		// a tab starts on): the pages reached nothing else.
		for _, u := range urls {
			if u == "" || u == "about:blank" {
				continue
			}
			assert.True(t, hasAnyPrefix(u, origins), "%s requested %q", b.name, u)
		}
		t.Logf("%s: checked %d URLs, %d console messages, %d pages for %d session ids; the console said:\n%s",
			b.name, len(urls), len(console), len(pages), len(ids), strings.Join(console, "\n"))
	}
	for _, s := range served.all() {
		for _, id := range ids {
			assert.False(t, strings.Contains(s.URI, id), "session id %s… in a URL the app served", id[:4])
		}
	}
}

func containsSubstring(texts []string, sub string) bool {
	for _, s := range texts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p+"/") || s == p {
			return true
		}
	}
	return false
}
