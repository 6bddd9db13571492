package app

import (
	"fmt"
	"net/http"
)

// routes returns the App's handler: one route per page or action.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	// Method patterns make the mux answer 405 with an Allow header itself.
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /sessions", a.sessions)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /logout-everywhere", a.logoutEverywhere)
	// State changes are POST only, cookies are SameSite=Lax, and cross-origin
	// browser POSTs are refused outright (403).
	return http.NewCrossOriginProtection().Handler(mux)
}

// ServeHTTP implements http.Handler: the routes, with a bounded body and the
// headers every answer gets.
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
