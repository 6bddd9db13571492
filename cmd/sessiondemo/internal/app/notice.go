package app

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// A notice is the one-line message the home page shows after a browser was
// sent there by an action ("You are logged out."). It travels in a cookie,
// not in the URL: a URL is shared, bookmarked and logged, and a link could
// make the page claim anything. The cookie is HttpOnly, lives for a minute
// and is cleared by the page that shows it, so a reload shows it no more.
const (
	NoticeCookieName       = "notice"
	SecureNoticeCookieName = "__Host-notice"
	noticeMaxAge           = 60 // seconds: long enough to follow one redirect
)

// Notice cookie values. Only these are ever shown; any other value is
// cleared unread.
const (
	noticeLoggedOut        = "logged-out"
	noticeLoggedOutPrefix  = "logged-out-everywhere."
	maxNoticeSessionsCount = 1 << 20
)

func (a *App) noticeCookieName(r *http.Request) string {
	if a.secure(r) {
		return SecureNoticeCookieName
	}
	return NoticeCookieName
}

// redirectHome answers a browser's successful action: 303 to the home page,
// with value as the notice it shows there.
func (a *App) redirectHome(w http.ResponseWriter, r *http.Request, value string) {
	http.SetCookie(w, &http.Cookie{
		Name:     a.noticeCookieName(r),
		Value:    value,
		Path:     "/",
		MaxAge:   noticeMaxAge,
		HttpOnly: true,
		Secure:   a.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Location", "/")
	w.WriteHeader(http.StatusSeeOther)
}

// takeNotice returns the text of the request's notice, "" when it has none,
// and clears the cookie that carried it.
func (a *App) takeNotice(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(a.noticeCookieName(r))
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{
		Name:     c.Name,
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   a.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
	return noticeText(c.Value)
}

// loggedOutEverywhereNotice is the notice value after n sessions ended.
func loggedOutEverywhereNotice(n int) string {
	return noticeLoggedOutPrefix + strconv.Itoa(n)
}

// noticeText turns a notice value into the sentence shown, "" for a value
// this app did not make.
func noticeText(value string) string {
	if value == noticeLoggedOut {
		return "You are logged out."
	}
	digits, ok := strings.CutPrefix(value, noticeLoggedOutPrefix)
	if !ok {
		return ""
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || n > maxNoticeSessionsCount || strconv.Itoa(n) != digits {
		return ""
	}
	if n == 1 {
		return "Logged out everywhere: 1 session ended."
	}
	return fmt.Sprintf("Logged out everywhere: %d sessions ended.", n)
}
