package app_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sessionstore/sessionstore/cmd/sessiondemo/internal/app"
	"github.com/sessionstore/sessionstore/drivers/memory"
)

// idShaped matches what could be a session id. The pages hold no 43-character
// run of these characters, so a match in a body is an echoed cookie.
var idShaped = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// FuzzHandler sends arbitrary requests to the app on a healthy store: none
// may end in a 5xx (a panic would, through the app's recover) or echo the
// cookie it carried.
func FuzzHandler(f *testing.F) {
	methods := []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"}
	f.Add(uint8(1), "/login", "user=alice", "", "")
	f.Add(uint8(0), "/sessions", "", "session="+strings.Repeat("A", 43), "application/json")
	f.Add(uint8(1), "/logout-everywhere", "", "session=x; session=y", "text/html;q=0.9, application/json")
	f.Add(uint8(1), "/login", "user=%zz&user=b", "__Host-session=abc", "*/*")
	f.Add(uint8(0), "/", "", "session=\x00\xff", "application/json;;")

	store := memory.New()
	f.Cleanup(func() { store.Close() })
	a, err := app.New(app.Config{Store: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, m uint8, path, body, cookie, accept string) {
		req := &http.Request{
			Method:     methods[int(m)%len(methods)],
			URL:        &url.URL{Path: path},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header: http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"},
				"Cookie":       {cookie},
				"Accept":       {accept},
			},
			Body:          httptest.NewRequest("POST", "/", strings.NewReader(body)).Body,
			ContentLength: int64(len(body)),
			Host:          "example.test",
			RemoteAddr:    "127.0.0.1:1234",
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %s %q: %s", rec.Code, req.Method, path, rec.Body.String())
		}
		for _, ck := range req.Cookies() {
			if idShaped.MatchString(ck.Value) && strings.Contains(rec.Body.String(), ck.Value) {
				t.Fatalf("the response echoes a session id")
			}
		}
	})
}
