package app

import (
	"fmt"
	"net/http"

	"github.com/sessionstore/sessionstore/session"
)

// logout ends the request's session (and the stale id it came with).
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
	a.done(w, r, map[string]any{"logged_out": 1}, "logged out\n", noticeLoggedOut)
}

// logoutEverywhere ends every session of the user: session.RevokeAll on the
// user's index.
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
	a.done(w, r, map[string]any{"logged_out": n}, fmt.Sprintf("logged out %d session(s)\n", n), loggedOutEverywhereNotice(n))
}
