package app

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

// Cookie names. The session name doubles as the storage name, as in
// lua-resty-session, so TLS and plain-HTTP sessions live in separate indexes.
const (
	CookieName       = "session"
	SecureCookieName = "__Host-session"
)

// newSessionID returns 32 bytes from crypto/rand, base64url without padding:
// 43 characters, like lua-resty-session's session ids. The alphabet has no
// ':', which no session key may contain.
func newSessionID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("app: session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// validID reports whether s has the shape of a session id: 43 characters of
// base64url. Anything else a cookie carries (':' included) is never sent to
// the store.
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

// Fingerprint identifies a session id in lists and logs without revealing
// it: the first 8 hex digits of its SHA-256.
func Fingerprint(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:4])
}

func (a *App) cookieName(r *http.Request) string {
	if a.secure(r) {
		return SecureCookieName
	}
	return CookieName
}

func (a *App) secure(r *http.Request) bool { return a.cfg.Secure || r.TLS != nil }

func (a *App) setCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{
		Name:     a.cookieName(r),
		Value:    id,
		Path:     "/",
		MaxAge:   maxAge(a.cfg.TTL),
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

// maxAge is a cookie's Max-Age for a session of ttl: whole seconds, rounded
// up, so that the cookie never ends before the session does.
func maxAge(ttl time.Duration) int {
	secs := ttl / time.Second
	if ttl%time.Second > 0 {
		secs++
	}
	return int(secs)
}
