package app

import (
	"cmp"
	"net/http"
	"slices"
	"time"
)

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
	// Rotated is when the app minted the id of the request's session: at
	// login or at its last rotation.
	Rotated time.Time `json:"rotated"`
	// NextRotation is when that id is due: the first request after it gets
	// a new id.
	NextRotation time.Time `json:"next_rotation"`
}

// sessions lists the user's live sessions, latest expiry first.
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
	list := SessionList{
		User:         cur.rec.User,
		Sessions:     []SessionInfo{},
		Rotated:      cur.rec.Rotated.UTC(),
		NextRotation: cur.rec.Rotated.Add(a.cfg.RotateEvery).UTC(),
	}
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
