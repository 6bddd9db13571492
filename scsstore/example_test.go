package scsstore_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/scsstore"
	"github.com/sessionstore/sessionstore/session"
)

// An scs app on the memory driver whose sessions are indexed by user, so
// that it can log a user out everywhere.
func Example() {
	storage := memory.New() // any session.Storage: memcached, tracing.New(…), …
	defer storage.Close()

	sm := scs.New()
	store := scsstore.New(storage, scsstore.WithMetadata(
		// Index each session under its "user" value, read with the
		// manager's codec; anonymous sessions are not indexed.
		func(_ context.Context, value []byte) ([]session.Pair, error) {
			_, values, err := sm.Codec.Decode(value)
			if err != nil {
				return nil, err
			}
			if user, ok := values["user"].(string); ok {
				return []session.Pair{{Audience: "example", Subject: user}}, nil
			}
			return nil, nil
		}))
	sm.Store = store

	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil { // a new token on login
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sm.Put(r.Context(), "user", r.FormValue("user"))
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, sm.GetString(r.Context(), "user"))
	})
	app := sm.LoadAndSave(mux)

	// request serves path with cookie and returns the body and the new cookie.
	request := func(path string, cookie *http.Cookie) (string, *http.Cookie) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			if c.Name == sm.Cookie.Name {
				cookie = c
			}
		}
		return rec.Body.String(), cookie
	}

	_, laptop := request("/login?user=alice", nil)
	_, phone := request("/login?user=alice", nil)
	who, _ := request("/whoami", phone)
	fmt.Println("phone:", who)

	ctx := context.Background()
	live, _ := storage.ReadMetadata(ctx, store.CookieName(), "example", "alice", time.Now())
	fmt.Println("alice's sessions:", len(live))

	n, err := session.RevokeAll(ctx, storage, store.CookieName(), "example", "alice", time.Now())
	fmt.Println("revoked:", n, err)
	who, _ = request("/whoami", laptop)
	fmt.Printf("laptop: %q\n", who)
	// Output:
	// phone: alice
	// alice's sessions: 2
	// revoked: 2 <nil>
	// laptop: ""
}
