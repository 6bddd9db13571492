package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
)

// The browser tests drive Debian's Chromium through the DevTools protocol
// (chromedp, over a pipe: no debugging port is opened). Where there is no
// Chromium they skip, unless EnvRequireBrowser asks them to fail, as CI does.
const (
	// EnvRequireBrowser set to "1" (or "true") turns "no Chromium" into a
	// failure, as SESSIONSTORE_REQUIRE_DOCKER does for the container tests.
	EnvRequireBrowser = "SESSIONSTORE_REQUIRE_BROWSER"
	// EnvChromium names the Chromium binary to drive instead of the first of
	// chromiumCandidates found.
	EnvChromium = "SESSIONSTORE_CHROMIUM"
	// actionTimeout bounds one browser step; it only ends a hung test, and
	// says nothing about speed.
	actionTimeout = 30 * time.Second
)

var chromiumCandidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser"}

func requireBrowser() bool {
	v := strings.TrimSpace(os.Getenv(EnvRequireBrowser))
	return v == "1" || strings.EqualFold(v, "true")
}

// chromiumOrSkip returns the path of the Chromium to drive, or skips the test
// (fails it under EnvRequireBrowser) with what to install.
func chromiumOrSkip(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	path, err := findChromium()
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("no browser for the end-to-end test: %v; install Debian's chromium (apt-get install -y chromium) or set %s to a Chromium binary", err, EnvChromium)
	if requireBrowser() {
		t.Fatalf("%s (%s=1 makes this a failure, not a skip)", msg, EnvRequireBrowser)
	}
	t.Skipf("%s; set %s=1 to make this a failure", msg, EnvRequireBrowser)
	return ""
}

func findChromium() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvChromium, p, err)
		}
		return found, nil
	}
	for _, name := range chromiumCandidates {
		if found, err := exec.LookPath(name); err == nil {
			return found, nil
		}
	}
	return "", fmt.Errorf("none of %s found", strings.Join(chromiumCandidates, ", "))
}

// loopbackFlags are the Chromium switches that keep it to the pages the test
// opens, all on 127.0.0.1: without them Chromium phones home at start
// (component updates, variations, safe browsing, sync, ...), and on this
// network every such attempt is refused. They are spelled out even where
// chromedp's defaults already hold them, so that this list is the whole story.
var loopbackFlags = map[string]any{
	"headless":                               true,
	"disable-gpu":                            true,
	"no-first-run":                           true,
	"disable-background-networking":          true,
	"disable-component-update":               true,
	"disable-sync":                           true,
	"disable-quic":                           true,
	"disable-default-apps":                   true,
	"disable-extensions":                     true,
	"disable-breakpad":                       true,
	"disable-domain-reliability":             true,
	"disable-client-side-phishing-detection": true,
	"safebrowsing-disable-auto-update":       true,
	"metrics-recording-only":                 true,
	"no-pings":                               true,
	"no-default-browser-check":               true,
	// No proxy from the environment, and no name resolves: the test opens
	// IP literals only, so anything else Chromium tries fails before it
	// leaves the machine.
	"no-proxy-server":     true,
	"host-resolver-rules": "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
	"disable-features":    "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,NetworkTimeServiceQuerying,InterestFeedContentSuggestions",
}

func allocatorOptions(chromium string) []chromedp.ExecAllocatorOption {
	opts := slices.Clone(chromedp.DefaultExecAllocatorOptions[:])
	opts = append(opts, chromedp.ExecPath(chromium))
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range loopbackFlags {
			if !yield(k) {
				return
			}
		}
	}) {
		opts = append(opts, chromedp.Flag(name, loopbackFlags[name]))
	}
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox on.
		opts = append(opts, chromedp.NoSandbox)
	}
	// No user-data-dir: chromedp then makes a fresh, empty profile in a new
	// temporary directory for each browser, and removes it (and kills any
	// child process still using it) when the browser ends.
	return opts
}

// browser is one Chromium process, with its own fresh profile, and one tab.
// It records everything the test checks for session ids.
type browser struct {
	t    *testing.T
	name string
	base string          // the app's URL
	ctx  context.Context // the tab
	seen *browserRecord
}

// startBrowser starts Chromium; the test's cleanup ends it (the allocator's
// cancel kills the process it started, by pid, and waits for it).
func startBrowser(t *testing.T, chromium, name, base string) *browser {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(chromium)...)
	rec := &browserRecord{}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(rec.record))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := &browser{t: t, name: name, base: base, ctx: ctx, seen: rec}
	// The first action starts the process, which lives as long as the
	// context of that action: the tab's, not a timeout's.
	require.NoError(t, chromedp.Do(ctx), "start %s (%s)", name, chromium)
	// A console message of our own proves the recorder sees the console.
	run(b, chromedp.Evaluate[chromedp.Void](`console.log("`+consoleProbe+`")`))
	return b
}

const consoleProbe = "sessiondemo browser test: console probe"

// pid is the Chromium process of b.
func (b *browser) pid() int {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0
	}
	return c.Browser.Process().Pid
}

// run runs one action on b's tab, bounded by actionTimeout.
func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	require.NoError(b.t, err, "browser %s", b.name)
	return v
}

// open navigates to path on the app (or to an absolute URL) and returns the
// document's response.
func (b *browser) open(pathOrURL string) *network.Response {
	b.t.Helper()
	u := pathOrURL
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	resp := run(b, chromedp.NavigateResponse(u))
	b.snapshot()
	return resp
}

// click clicks what sel selects, waits for the page it leads to and returns
// that page's response (after any redirect).
func (b *browser) click(sel string) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	require.NoError(b.t, err, "browser %s: click %s", b.name, sel)
	b.snapshot()
	return resp
}

// login fills in the login form of the home page and submits it.
func (b *browser) login(user string) *network.Response {
	b.t.Helper()
	b.open("/")
	run(b, chromedp.SendKeys(chromedp.CSS(`input[name="user"]`), user))
	return b.click(`form[action="/login"] button`)
}

// snapshot records the page as it is now, for the leak check.
func (b *browser) snapshot() {
	b.t.Helper()
	html := run(b, chromedp.OuterHTML(chromedp.CSS("html")))
	loc := run(b, chromedp.Location())
	b.seen.add(&b.seen.pages, html)
	b.seen.add(&b.seen.urls, loc)
}

func (b *browser) location() string {
	b.t.Helper()
	return run(b, chromedp.Location())
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS(sel)))
}

// has reports whether the current page has an element sel selects.
func (b *browser) has(sel string) bool {
	b.t.Helper()
	return run(b, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
}

// sessionRow is one row of the session list page.
type sessionRow struct {
	ID      string `json:"id"`
	Current bool   `json:"current"`
}

func (b *browser) sessionRows() []sessionRow {
	b.t.Helper()
	return run(b, chromedp.Evaluate[[]sessionRow](`Array.from(document.querySelectorAll("table tr")).slice(1).map(r => ({id: r.cells[0].innerText, current: r.cells[2].innerText === "this one"}))`))
}

// timeOf reads the datetime attribute of the <time> element sel selects.
func (b *browser) timeOf(sel string) time.Time {
	b.t.Helper()
	v := run(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).dateTime`, sel)))
	at, err := time.Parse(time.RFC3339, v)
	require.NoError(b.t, err, "browser %s: %s datetime", b.name, sel)
	return at
}

// cookie returns the browser's cookie name for the app, nil when it has none.
// The protocol sees HttpOnly cookies, which the page cannot.
func (b *browser) cookie(name string) *network.Cookie {
	b.t.Helper()
	res := run(b, func(ctx context.Context, _ *chromedp.Target) (network.GetCookiesResult, error) {
		return chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	})
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// sessionID is the session id the browser holds, "" when none.
func (b *browser) sessionID() string {
	b.t.Helper()
	if c := b.cookie(app.CookieName); c != nil {
		return c.Value
	}
	return ""
}

// setSessionID puts id in the browser's session cookie, as a request still in
// flight with an old cookie would carry it.
func (b *browser) setSessionID(id string) {
	b.t.Helper()
	httpOnly := true
	run(b, func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
			Name: app.CookieName, Value: id, URL: b.base + "/", Path: "/",
			HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax,
		})
		return chromedp.Void{}, err
	})
}

// navigationURLs is every URL in the tab's history.
func (b *browser) navigationURLs() []string {
	b.t.Helper()
	h := run(b, chromedp.NavigationEntries())
	var out []string
	for _, e := range h.Entries {
		out = append(out, e.URL, e.UserTypedURL)
	}
	return out
}

// browserRecord is what a tab showed and asked for, from the protocol's
// events: every URL it requested, was redirected to or navigated to, every
// console message (console API calls, exceptions and the browser's own log
// entries, such as failed loads), and the pages the test looked at.
type browserRecord struct {
	mu      sync.Mutex
	urls    []string
	console []string
	pages   []string
}

func (r *browserRecord) add(to *[]string, s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*to = append(*to, s...)
}

// record runs in the tab's event loop: it must return fast and send no
// command.
func (r *browserRecord) record(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r.add(&r.urls, ev.Request.URL+ev.Request.URLFragment, ev.DocumentURL)
		if rr := ev.RedirectResponse; rr != nil {
			r.add(&r.urls, rr.URL, resolve(rr.URL, headerValue(rr.Headers, "Location")))
		}
	case *network.EventResponseReceived:
		r.add(&r.urls, ev.Response.URL, resolve(ev.Response.URL, headerValue(ev.Response.Headers, "Location")))
	case *page.EventFrameNavigated:
		r.add(&r.urls, ev.Frame.URL+ev.Frame.URLFragment)
	case *page.EventNavigatedWithinDocument:
		r.add(&r.urls, ev.URL)
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, string(a.Value), a.Description)
		}
		r.add(&r.console, string(ev.Type)+": "+strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		msg := ev.ExceptionDetails.Text + " " + ev.ExceptionDetails.URL
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			msg += " " + ex.Description
		}
		r.add(&r.console, "exception: "+msg)
	case *log.EventEntryAdded:
		r.add(&r.console, string(ev.Entry.Level)+" ("+string(ev.Entry.Source)+"): "+ev.Entry.Text+" "+ev.Entry.URL)
	}
}

func (r *browserRecord) snapshot() (urls, console, pages []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.urls), slices.Clone(r.console), slices.Clone(r.pages)
}

// resolve makes a Location header absolute ("" stays ""; what does not
// parse is kept as it is, for the leak check to see).
func resolve(base, ref string) string {
	if ref == "" {
		return ""
	}
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	u, err := b.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

// headerValue looks a header up case-insensitively (HTTP/1.1 keeps the
// server's spelling).
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// served is one request as the app's server saw it. It holds no cookie
// value.
type served struct {
	Method, URI      string
	FetchSite        string // Sec-Fetch-Site: who the browser says caused it
	CarriedSession   bool   // the request carried a session cookie
	Status           int
	IssuedSessionIDs []string // session ids the answer set
}

// requestLog records every request the app served: the server's side of
// the story, and every session id it ever handed out.
type requestLog struct {
	mu       sync.Mutex
	requests []served
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		_, err := r.Cookie(app.CookieName)
		s := served{
			Method: r.Method, URI: r.URL.RequestURI(), FetchSite: r.Header.Get("Sec-Fetch-Site"),
			CarriedSession: err == nil, Status: sw.status,
		}
		for _, line := range w.Header().Values("Set-Cookie") {
			if c, err := http.ParseSetCookie(line); err == nil && c.Name == app.CookieName && c.Value != "" {
				s.IssuedSessionIDs = append(s.IssuedSessionIDs, c.Value)
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.requests = append(l.requests, s)
	})
}

func (l *requestLog) all() []served {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

// last is the latest request for method and URI.
func (l *requestLog) last(method, uri string) (served, error) {
	reqs := l.all()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].URI == uri {
			return reqs[i], nil
		}
	}
	return served{}, errors.New("no " + method + " " + uri + " served")
}

// issuedIDs is every session id the app handed out.
func (l *requestLog) issuedIDs() []string {
	var ids []string
	for _, s := range l.all() {
		ids = append(ids, s.IssuedSessionIDs...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// startRecordedApp serves the app on 127.0.0.1 behind a requestLog.
func startRecordedApp(t *testing.T, cfg app.Config, advance func(time.Duration)) (*e2e, *requestLog) {
	t.Helper()
	a, err := app.New(cfg)
	require.NoError(t, err)
	reqs := &requestLog{}
	srv := httptest.NewServer(reqs.wrap(a))
	t.Cleanup(srv.Close)
	return &e2e{srv: srv, cfg: cfg, advance: advance}, reqs
}

// now is the app's clock.
func (e *e2e) now() time.Time {
	if e.cfg.Now != nil {
		return e.cfg.Now()
	}
	return time.Now()
}
