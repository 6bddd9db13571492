package app_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
)

// What the browser test records, to look for session ids in: the browsers'
// side (protocol events) and the server's (every request it served).

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

// servedRequest is one request as the app's server saw it. It holds no
// cookie value.
type servedRequest struct {
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
	requests []servedRequest
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		_, err := r.Cookie(app.CookieName)
		s := servedRequest{
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

func (l *requestLog) all() []servedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

// last is the latest request for method and URI.
func (l *requestLog) last(method, uri string) (servedRequest, error) {
	reqs := l.all()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].URI == uri {
			return reqs[i], nil
		}
	}
	return servedRequest{}, errors.New("no " + method + " " + uri + " served")
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
