package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/sessionstore/sessionstore/session"
)

// homeData is what the home page shows.
type homeData struct {
	User   string // "" shows the login form
	Notice string // the outcome of the action that led here, if any
}

// home shows the login form, or whom the session belongs to, and the notice
// an action left for it.
func (a *App) home(w http.ResponseWriter, r *http.Request) {
	cur, err := a.load(r.Context(), r)
	if errors.Is(err, errNoSession) {
		render(w, http.StatusOK, loginPage, homeData{Notice: a.takeNotice(w, r)})
		return
	}
	if err == nil {
		err = a.refresh(r.Context(), w, r, cur)
	}
	if err != nil {
		a.fail(w, r, http.StatusInternalServerError, "internal error", err)
		return
	}
	render(w, http.StatusOK, homePage, homeData{User: cur.rec.User, Notice: a.takeNotice(w, r)})
}

// login starts a session for the user named in the form (no password: it is
// a demo of the storage, not of authentication).
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

// validUser reports whether s is an acceptable user name: it becomes the
// subject of the session's index entry and is shown in pages.
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
