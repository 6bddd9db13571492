package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// maxHops bounds how many rotated-away ids a stale cookie is followed through.
const maxHops = 3

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

// metadata is what a user's sessions are indexed under.
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
