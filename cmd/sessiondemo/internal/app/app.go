// Package app is the HTTP side of sessiondemo: log in, id rotation with a
// stale grace period, listing a user's sessions and logging out everywhere,
// all on a session.Storage. It lives apart from package main so that its
// end-to-end test can drive it with an injected clock and any driver.
package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// Defaults for the zero fields of Config.
const (
	DefaultTTL          = 30 * time.Minute
	DefaultRotateEvery  = 30 * time.Second
	DefaultStaleTTL     = session.DefaultStaleTTL
	DefaultAudience     = "default"
	DefaultMaxBodyBytes = 4 << 10
)

// Cookie names. The session name doubles as the storage name, as in
// lua-resty-session, so TLS and plain-HTTP sessions live in separate indexes.
const (
	CookieName       = "session"
	SecureCookieName = "__Host-session"
)

// maxHops bounds how many rotated-away ids a stale cookie is followed through.
const maxHops = 3

// Config configures an App. Only Store is required.
type Config struct {
	// Store keeps the sessions. The App does not close it.
	Store session.Storage
	// Now is the app's clock (default time.Now). Tests inject a fake one,
	// together with a driver that reads the same clock.
	Now func() time.Time
	// TTL is how long a session lives after its last rotation.
	TTL time.Duration
	// RotateEvery is how old a session id may get before the next request
	// replaces it with a fresh one.
	RotateEvery time.Duration
	// StaleTTL is how long a rotated-away id keeps working.
	StaleTTL time.Duration
	// Audience is the metadata audience sessions are indexed under.
	Audience string
	// Secure marks cookies Secure (and names them with the __Host- prefix)
	// even on plain-HTTP requests, for a server behind a TLS proxy. Requests
	// that arrive over TLS get Secure cookies anyway.
	Secure bool
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	MaxBodyBytes int64
	// Logger receives errors (never a session id). Default slog.Default().
	Logger *slog.Logger
}

// App is an http.Handler. Create it with New.
type App struct {
	cfg     Config
	handler http.Handler
}

// New checks cfg, fills in defaults and returns the App.
func New(cfg Config) (*App, error) {
	if cfg.Store == nil {
		return nil, errors.New("app: Config.Store is required")
	}
	if cfg.TTL < 0 || cfg.RotateEvery < 0 || cfg.StaleTTL < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("app: durations and sizes must not be negative")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.RotateEvery == 0 {
		cfg.RotateEvery = DefaultRotateEvery
	}
	if cfg.StaleTTL == 0 {
		cfg.StaleTTL = DefaultStaleTTL
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &App{cfg: cfg}
	mux := http.NewServeMux()
	// Method patterns make the mux answer 405 with an Allow header itself.
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /sessions", a.sessions)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /logout-everywhere", a.logoutEverywhere)
	// State changes are POST only, cookies are SameSite=Lax, and cross-origin
	// browser POSTs are refused outright (403).
	a.handler = http.NewCrossOriginProtection().Handler(mux)
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A panic below (a misbehaving Storage, say) becomes a 500 for this
		// request instead of a dropped connection.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.fail(w, r, http.StatusInternalServerError, "internal error", fmt.Errorf("app: panic: %v", v))
		}
	}()
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	a.handler.ServeHTTP(w, r)
}

// record is the session value: small JSON, as a real app would keep.
type record struct {
	User    string    `json:"user"`
	Created time.Time `json:"created"`
	Rotated time.Time `json:"rotated"`
	// Next is set on a rotated-away session only: the id that replaced it,
	// so a request still carrying the old cookie inside the grace period is
	// served as the new session and is handed the new cookie again.
	Next string `json:"next,omitempty"`
}

// current is the session a request carries.
type current struct {
	name     string // cookie and storage name
	id       string // the live session id, after following Next
	cookieID string // the id the cookie carried; differs from id when stale
	rec      record
}

var errNoSession = errors.New("app: no session")

func (a *App) cookieName(r *http.Request) string {
	if a.secure(r) {
		return SecureCookieName
	}
	return CookieName
}

func (a *App) secure(r *http.Request) bool { return a.cfg.Secure || r.TLS != nil }

func (a *App) metadata(user string) []session.Pair {
	return []session.Pair{{Audience: a.cfg.Audience, Subject: user}}
}

// load returns the request's session, or errNoSession when it has none that
// is still live. Any other error is a storage failure.
func (a *App) load(ctx context.Context, r *http.Request) (*current, error) {
	name := a.cookieName(r)
	c, err := r.Cookie(name)
	if err != nil || !validID(c.Value) {
		// A malformed cookie is never sent to the store.
		return nil, errNoSession
	}
	id := c.Value
	for range maxHops + 1 {
		raw, err := a.cfg.Store.Get(ctx, name, id)
		if errors.Is(err, session.ErrNotFound) {
			return nil, errNoSession
		}
		if err != nil {
			return nil, fmt.Errorf("app: load session: %w", err)
		}
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil || rec.User == "" {
			a.cfg.Logger.WarnContext(ctx, "sessiondemo: unreadable session value; treating it as logged out")
			return nil, errNoSession
		}
		if rec.Next == "" {
			return &current{name: name, id: id, cookieID: c.Value, rec: rec}, nil
		}
		if !validID(rec.Next) {
			return nil, errNoSession
		}
		id = rec.Next
	}
	return nil, errNoSession
}

// refresh rotates the session id when it is due and (re)sends the cookie
// when the request carried an old one.
//
// Two concurrent requests that both find the id due rotate it twice; the
// second new id wins the old id's pointer and the first lingers, listed,
// until its TTL. A demo can live with that; an app that cannot would rotate
// under a per-session lock.
func (a *App) refresh(ctx context.Context, w http.ResponseWriter, r *http.Request, cur *current) error {
	now := a.cfg.Now()
	if now.Sub(cur.rec.Rotated) < a.cfg.RotateEvery {
		if cur.id != cur.cookieID {
			a.setCookie(w, r, cur.id)
		}
		return nil
	}
	newID, err := newSessionID()
	if err != nil {
		return err
	}
	rec := cur.rec
	rec.Rotated, rec.Next = now, ""
	val, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("app: encode session: %w", err)
	}
	// The rotation itself: the new id replaces the old one in the user's
	// index, and the store keeps the old id for the grace period.
	if err := a.cfg.Store.Set(ctx, cur.name, newID, val, a.cfg.TTL, now, session.SetOptions{
		OldKey:   cur.id,
		StaleTTL: a.cfg.StaleTTL,
		Metadata: a.metadata(rec.User),
	}); err != nil {
		return fmt.Errorf("app: rotate session: %w", err)
	}
	// Leave a pointer to the new id on the old one for the rest of its grace
	// period, never longer than the old session had left. If this fails, the
	// old cookie still works as the old session until the grace period ends.
	if left := min(a.cfg.StaleTTL, cur.rec.Rotated.Add(a.cfg.TTL).Sub(now)); left > 0 {
		old := cur.rec
		old.Next = newID
		if oldVal, err := json.Marshal(old); err == nil {
			if err := a.cfg.Store.Set(ctx, cur.name, cur.id, oldVal, left, now, session.SetOptions{}); err != nil {
				a.cfg.Logger.WarnContext(ctx, "sessiondemo: could not link the rotated-away session", "err", err)
			}
		}
	}
	cur.id, cur.rec = newID, rec
	a.setCookie(w, r, newID)
	return nil
}

// authenticated loads and refreshes the session, or answers the request
// itself (401, 500) and returns nil.
func (a *App) authenticated(w http.ResponseWriter, r *http.Request) *current {
	ctx := r.Context()
	cur, err := a.load(ctx, r)
	if errors.Is(err, errNoSession) {
		a.clearCookie(w, r)
		a.fail(w, r, http.StatusUnauthorized, "not logged in", nil)
		return nil
	}
	if err == nil {
		err = a.refresh(ctx, w, r, cur)
	}
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return nil
	}
	return cur
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	cur, err := a.load(r.Context(), r)
	if errors.Is(err, errNoSession) {
		render(w, http.StatusOK, loginPage, nil)
		return
	}
	if err == nil {
		err = a.refresh(r.Context(), w, r, cur)
	}
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	render(w, http.StatusOK, homePage, struct{ User string }{cur.rec.User})
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			a.fail(w, r, http.StatusRequestEntityTooLarge, "request body too large", nil)
			return
		}
		a.fail(w, r, http.StatusBadRequest, "malformed form", nil)
		return
	}
	user := r.PostForm.Get("user")
	if !validUser(user) {
		a.fail(w, r, http.StatusBadRequest, "user must be 1 to 64 letters, digits or . _ @ + -", nil)
		return
	}
	// Logging in over an existing session ends that session first: a fresh
	// id on every login (no session fixation), and no orphan in the list.
	if cur, err := a.load(ctx, r); err == nil {
		if err := a.cfg.Store.Delete(ctx, cur.name, cur.id, a.cfg.Now(), a.metadata(cur.rec.User)); err != nil {
			a.fail(w, r, http.StatusInternalServerError, "internal error", err)
			return
		}
		a.dropStale(ctx, cur)
	} else if !errors.Is(err, errNoSession) {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	id, err := newSessionID()
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	now := a.cfg.Now()
	val, err := json.Marshal(record{User: user, Created: now, Rotated: now})
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	name := a.cookieName(r)
	if err := a.cfg.Store.Set(ctx, name, id, val, a.cfg.TTL, now, session.SetOptions{Metadata: a.metadata(user)}); err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	a.setCookie(w, r, id)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"user": user, "expires": now.Add(a.cfg.TTL).UTC()})
		return
	}
	w.Header().Set("Location", "/sessions")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusSeeOther)
	fmt.Fprintf(w, "logged in; see /sessions\n")
}

// SessionInfo is one line of the session list. ID is a fingerprint of the
// session id, not the id: the list must not hand out other devices' bearer
// credentials.
type SessionInfo struct {
	ID      string    `json:"id"`
	Expires time.Time `json:"expires"`
	Current bool      `json:"current"`
}

// SessionList is the JSON answer of GET /sessions.
type SessionList struct {
	User     string        `json:"user"`
	Sessions []SessionInfo `json:"sessions"`
}

func (a *App) sessions(w http.ResponseWriter, r *http.Request) {
	cur := a.authenticated(w, r)
	if cur == nil {
		return
	}
	live, err := a.cfg.Store.ReadMetadata(r.Context(), cur.name, a.cfg.Audience, cur.rec.User, a.cfg.Now())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	list := SessionList{User: cur.rec.User, Sessions: []SessionInfo{}}
	for id, exp := range live {
		list.Sessions = append(list.Sessions, SessionInfo{ID: Fingerprint(id), Expires: exp.UTC(), Current: id == cur.id})
	}
	slices.SortFunc(list.Sessions, func(x, y SessionInfo) int {
		if c := y.Expires.Compare(x.Expires); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, list)
		return
	}
	render(w, http.StatusOK, sessionsPage, list)
}

func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	cur := a.authenticatedNoRotate(w, r)
	if cur == nil {
		return
	}
	ctx := r.Context()
	if err := a.cfg.Store.Delete(ctx, cur.name, cur.id, a.cfg.Now(), a.metadata(cur.rec.User)); err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	a.dropStale(ctx, cur)
	a.clearCookie(w, r)
	a.done(w, r, map[string]any{"logged_out": 1}, "logged out\n")
}

func (a *App) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	cur := a.authenticatedNoRotate(w, r)
	if cur == nil {
		return
	}
	ctx := r.Context()
	n, err := session.RevokeAll(ctx, a.cfg.Store, cur.name, a.cfg.Audience, cur.rec.User, a.cfg.Now())
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	a.dropStale(ctx, cur)
	a.clearCookie(w, r)
	a.done(w, r, map[string]any{"logged_out": n}, fmt.Sprintf("logged out %d session(s)\n", n))
}

// authenticatedNoRotate is authenticated for requests that end the session:
// rotating an id about to be deleted would be wasted work.
func (a *App) authenticatedNoRotate(w http.ResponseWriter, r *http.Request) *current {
	cur, err := a.load(r.Context(), r)
	switch {
	case errors.Is(err, errNoSession):
		a.clearCookie(w, r)
		a.fail(w, r, http.StatusUnauthorized, "not logged in", nil)
		return nil
	case err != nil:
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return nil
	}
	return cur
}

// dropStale deletes the rotated-away id the request came with, so that it
// stops working now rather than at the end of its grace period.
func (a *App) dropStale(ctx context.Context, cur *current) {
	if cur.cookieID == cur.id {
		return
	}
	if err := a.cfg.Store.Delete(ctx, cur.name, cur.cookieID, a.cfg.Now(), nil); err != nil {
		a.cfg.Logger.WarnContext(ctx, "sessiondemo: could not delete the rotated-away session", "err", err)
	}
}

func (a *App) done(w http.ResponseWriter, r *http.Request, js map[string]any, text string) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, js)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, text)
}

func (a *App) setCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     a.cookieName(r),
		Value:    id,
		Path:     "/",
		MaxAge:   int(session.CeilSeconds(a.cfg.TTL)),
		HttpOnly: true,
		Secure:   a.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
}

func (a *App) clearCookie(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(a.cookieName(r)); err != nil {
		return // nothing to clear
	}
	http.SetCookie(w, &http.Cookie{
		Name:     a.cookieName(r),
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   a.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
}

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
	if status == http.StatusUnauthorized && r.Method == http.MethodGet {
		render(w, status, unauthorizedPage, nil)
		return
	}
	http.Error(w, msg, status)
}

// newSessionID returns 32 bytes from crypto/rand, base64url without padding:
// 43 characters, like lua-resty-session's session ids.
func newSessionID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("app: session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// validID reports whether s has the shape of a session id.
func validID(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validUser(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '@' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// Fingerprint identifies a session id in lists and logs without revealing
// it: the first 8 hex digits of its SHA-256.
func Fingerprint(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:4])
}
