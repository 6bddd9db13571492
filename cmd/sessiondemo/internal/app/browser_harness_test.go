package app_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
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
	for _, name := range slices.Sorted(maps.Keys(loopbackFlags)) {
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

// commandLine is the command line of b's Chromium process, as the kernel
// has it (Debian's launcher script execs the browser, so the pid is the
// browser's): proof that the switches reached it.
func (b *browser) commandLine() []string {
	b.t.Helper()
	c := chromedp.FromContext(b.ctx)
	require.True(b.t, c != nil && c.Browser != nil && c.Browser.Process() != nil, "browser %s has a process", b.name)
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c.Browser.Process().Pid))
	if errors.Is(err, os.ErrNotExist) {
		b.t.Skip("no /proc: cannot read Chromium's command line") // not Linux
	}
	require.NoError(b.t, err)
	return strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
}

// flagValue is the value of --name= in args, "" when absent.
func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
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
