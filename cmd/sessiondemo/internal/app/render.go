package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// fail answers with status and a public message; err, if any, is logged.
// Neither ever holds a session id: the drivers' errors do not, by contract.
func (a *App) fail(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	if err != nil {
		a.cfg.Logger.ErrorContext(r.Context(), "sessiondemo: request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if wantsJSON(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	// A browser gets a page with a way back to the login form, also after a
	// POST (a button on a page whose session ended elsewhere).
	if status == http.StatusUnauthorized && (r.Method == http.MethodGet || wantsHTML(r)) {
		render(w, status, unauthorizedPage, nil)
		return
	}
	http.Error(w, msg, status)
}

// done answers a successful action: js as JSON; a browser is sent to the
// home page, which shows notice; anyone else (curl) gets text.
func (a *App) done(w http.ResponseWriter, r *http.Request, js map[string]any, text, notice string) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, js)
		return
	}
	if wantsHTML(r) {
		a.redirectHome(w, r, notice)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, text)
}

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

// wantsHTML reports whether the client named text/html among what it
// accepts, as browsers do on every navigation (curl sends "*/*", which does
// not count: its users read the text answers). JSON, when also named, wins:
// see wantsJSON.
func wantsHTML(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "text/html" {
			continue
		}
		if q, ok := params["q"]; ok {
			if v, err := strconv.ParseFloat(q, 64); err != nil || v <= 0 {
				continue
			}
		}
		return true
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// render executes t into a buffer first, so a template error becomes a 500
// rather than half a page.
func render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

const layout = `<!doctype html><html><head><meta charset="utf-8"><title>sessiondemo</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}form{display:inline}td,th{padding:.2em .8em;text-align:left}</style>
</head><body><h1>sessiondemo</h1>{{template "body" .}}</body></html>`

func page(body string) *template.Template {
	return template.Must(template.Must(template.New("page").Parse(layout)).New("body").Parse(body)).Lookup("page")
}

// notice is the block the home page shows a notice in, when it has one.
const notice = `{{with .Notice}}<p role="status" id="notice"><b>{{.}}</b></p>
{{end}}`

var (
	loginPage = page(notice + `<form method="post" action="/login">
<label>User name <input name="user" required maxlength="64" pattern="[A-Za-z0-9._@+\-]+" autofocus></label>
<button>Log in</button></form>`)

	homePage = page(notice + `<p>Logged in as <b>{{.User}}</b>.</p>
<p><a href="/sessions">Your sessions</a></p>
<form method="post" action="/logout"><button>Log out</button></form>
<form method="post" action="/logout-everywhere"><button>Log out everywhere</button></form>`)

	// The times are UTC, to the second, in <time> elements whose datetime
	// attribute carries the same instant for programs (and tests) to read.
	sessionsPage = page(`<p>Live sessions of <b>{{.User}}</b>:</p>
<table><tr><th>session</th><th>expires (UTC)</th><th></th></tr>
{{range .Sessions}}<tr><td><code>{{.ID}}</code></td><td>{{.Expires.Format "2006-01-02 15:04:05"}}</td><td>{{if .Current}}this one{{end}}</td></tr>
{{end}}</table>
<p>This session's id was last rotated at <time id="rotated" datetime="{{.Rotated.Format "2006-01-02T15:04:05Z07:00"}}">{{.Rotated.Format "2006-01-02 15:04:05"}} UTC</time>
(at login, or when a request found it due); the first request after
<time id="next-rotation" datetime="{{.NextRotation.Format "2006-01-02T15:04:05Z07:00"}}">{{.NextRotation.Format "15:04:05"}} UTC</time> gets a new one.</p>
<p><a href="/">Home</a></p>
<form method="post" action="/logout"><button>Log out</button></form>
<form method="post" action="/logout-everywhere"><button>Log out everywhere</button></form>`)

	unauthorizedPage = page(`<p>Not logged in. <a href="/">Log in</a></p>`)
)
