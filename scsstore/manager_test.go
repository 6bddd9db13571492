package scsstore_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/scsstore"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// backend is a Storage for the end-to-end tests, and how to make time pass
// for it.
type backend struct {
	storage session.Storage
	// lifetime is the SessionManager's Lifetime in the expiry test; margin
	// is how long before its end a session must still be found, and after
	// it how soon it must be gone.
	lifetime, margin time.Duration
	// pass makes d pass for the Storage's expiry.
	pass func(t *testing.T, d time.Duration)
}

func TestManagerMemory(t *testing.T) {
	testManager(t, func(t *testing.T) backend {
		// The memory driver expires sessions by this clock, so an hour's
		// lifetime passes without sleeping.
		clock := driver.NewManualClock(time.Now())
		st := memory.New(memory.WithClock(clock.Now))
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		return backend{
			storage:  st,
			lifetime: time.Hour,
			margin:   time.Minute,
			pass:     func(_ *testing.T, d time.Duration) { clock.Advance(d) },
		}
	})
}

// testManager runs scs's SessionManager over HTTP on the adapter, each case
// on a Storage from newBackend.
func testManager(t *testing.T, newBackend func(t *testing.T) backend) {
	t.Run("put then get on the next request", func(t *testing.T) {
		a := newApp(t, newBackend(t).storage)
		tok := a.do(t, "/put?v=hello", "").token
		require.NotEmpty(t, tok)
		assert.Equal(t, "hello", a.do(t, "/get", tok).body)
		assert.Empty(t, a.do(t, "/get", "").body, "another client's session")

		b, found, err := a.store.FindCtx(t.Context(), tok)
		require.NoError(t, err)
		assert.True(t, found, "the token in the cookie is the key in the Storage")
		assert.NotEmpty(t, b)
	})

	t.Run("RenewToken", func(t *testing.T) {
		a := newApp(t, newBackend(t).storage)
		old := a.do(t, "/put?v=hello", "").token
		renewed := a.do(t, "/renew", old)
		require.True(t, renewed.cookie)
		require.NotEmpty(t, renewed.token)
		require.NotEqual(t, old, renewed.token)

		assert.Empty(t, a.do(t, "/get", old).body, "the old token still works")
		assert.Equal(t, "hello", a.do(t, "/get", renewed.token).body, "the new token lost the data")
		_, found, err := a.store.FindCtx(t.Context(), old)
		require.NoError(t, err)
		assert.False(t, found)
	})

	t.Run("Destroy", func(t *testing.T) {
		a := newApp(t, newBackend(t).storage)
		tok := a.do(t, "/put?v=hello", "").token
		destroyed := a.do(t, "/destroy", tok)
		require.True(t, destroyed.cookie, "the cookie is not cleared")
		assert.Empty(t, destroyed.token)

		assert.Empty(t, a.do(t, "/get", tok).body, "the destroyed token still works")
		_, found, err := a.store.FindCtx(t.Context(), tok)
		require.NoError(t, err)
		assert.False(t, found)

		// Destroying a session that was never committed deletes the empty
		// token: no error, no 500.
		assert.True(t, a.do(t, "/destroy", "").cookie)
	})

	t.Run("expiry", func(t *testing.T) {
		be := newBackend(t)
		a := newApp(t, be.storage)
		a.sm.Lifetime = be.lifetime
		tok := a.do(t, "/put?v=hello", "").token

		be.pass(t, be.lifetime-be.margin)
		require.Equal(t, "hello", a.do(t, "/get", tok).body, "gone before its expiry")

		be.pass(t, 2*be.margin)
		// A request that finds nothing commits nothing, so polling does not
		// keep the session alive; the margin covers a server's coarse clock.
		require.Eventually(t, func() bool { return a.do(t, "/get", tok).body == "" },
			be.margin+5*time.Second, 50*time.Millisecond, "still there after its expiry")
		_, found, err := a.store.FindCtx(t.Context(), tok)
		require.NoError(t, err)
		assert.False(t, found)
	})

	t.Run("tampered cookie", func(t *testing.T) {
		a := newApp(t, newBackend(t).storage)
		// Not found, so a fresh session: not a 500.
		r := a.do(t, "/get", "forged:token")
		assert.Empty(t, r.body)
		r = a.do(t, "/put?v=x", "forged:token")
		require.NotEqual(t, "forged:token", r.token, "scs kept the forged token")
		assert.Equal(t, "x", a.do(t, "/get", r.token).body)
	})

	t.Run("per-user index and RevokeAll", func(t *testing.T) {
		a := newApp(t, newBackend(t).storage, scsstore.WithMetadata(userPairs))
		ctx := t.Context()
		st := a.store.Storage()
		listed := func() []string {
			t.Helper()
			live, err := st.ReadMetadata(ctx, a.store.CookieName(), "app", "alice", time.Now())
			require.NoError(t, err)
			return slices.Sorted(maps.Keys(live))
		}

		anon := a.do(t, "/put?v=hello", "").token
		assert.Empty(t, listed(), "an anonymous session is indexed")
		laptop := a.do(t, "/login?user=alice", anon).token
		require.NotEqual(t, anon, laptop, "login renews the token")
		phone := a.do(t, "/login?user=alice", "").token
		bob := a.do(t, "/login?user=bob", "").token
		assert.ElementsMatch(t, []string{laptop, phone}, listed())

		// Renewing moves the index entry; destroying removes it.
		renewed := a.do(t, "/renew", laptop).token
		assert.ElementsMatch(t, []string{renewed, phone}, listed())
		a.do(t, "/destroy", phone)
		assert.ElementsMatch(t, []string{renewed}, listed())
		phone = a.do(t, "/login?user=alice", "").token
		assert.ElementsMatch(t, []string{renewed, phone}, listed())

		// Log alice out everywhere, beside scs.
		n, err := session.RevokeAll(ctx, st, a.store.CookieName(), "app", "alice", time.Now())
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.Empty(t, a.do(t, "/whoami", renewed).body, "alice's laptop is still logged in")
		assert.Empty(t, a.do(t, "/whoami", phone).body, "alice's phone is still logged in")
		assert.Equal(t, "bob", a.do(t, "/whoami", bob).body, "bob was logged out too")
		assert.Empty(t, listed())
	})
}

// app is a web app on scs whose store is the adapter.
type app struct {
	sm     *scs.SessionManager
	store  *scsstore.Store
	srv    *httptest.Server
	client *http.Client
}

// newApp serves, through sm.LoadAndSave:
//
//	/put?v=X          Put("v", X)
//	/get              GetString("v")
//	/login?user=U     RenewToken, Put("user", U)
//	/whoami           GetString("user")
//	/renew            RenewToken
//	/destroy          Destroy
func newApp(t *testing.T, st session.Storage, opts ...scsstore.Option) *app {
	t.Helper()
	a := &app{sm: scs.New(), store: scsstore.New(st, opts...)}
	a.sm.Store = a.store
	a.sm.ErrorFunc = func(w http.ResponseWriter, _ *http.Request, err error) {
		t.Errorf("scs: %v", err)
		http.Error(w, "scs error", http.StatusInternalServerError)
	}
	fail := func(w http.ResponseWriter, err error) bool {
		if err != nil {
			t.Errorf("handler: %v", err)
			http.Error(w, "handler error", http.StatusInternalServerError)
		}
		return err != nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
		a.sm.Put(r.Context(), "v", r.URL.Query().Get("v"))
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, a.sm.GetString(r.Context(), "v"))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		if fail(w, a.sm.RenewToken(r.Context())) {
			return
		}
		a.sm.Put(r.Context(), "user", r.URL.Query().Get("user"))
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, a.sm.GetString(r.Context(), "user"))
	})
	mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
		fail(w, a.sm.RenewToken(r.Context()))
	})
	mux.HandleFunc("/destroy", func(w http.ResponseWriter, r *http.Request) {
		fail(w, a.sm.Destroy(r.Context()))
	})
	a.srv = httptest.NewServer(a.sm.LoadAndSave(mux))
	t.Cleanup(a.srv.Close)
	a.client = a.srv.Client()
	return a
}

// response is what a request returned: its body, and the session cookie
// it set (cookie; token "" when it cleared the cookie).
type response struct {
	body   string
	cookie bool
	token  string
}

// do requests path with token as the session cookie (none if empty) and
// fails the test unless the answer is 200.
func (a *app) do(t *testing.T, path, token string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.srv.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		// Set raw: net/http would drop a value with characters a cookie
		// may not hold, and the tampered-cookie case needs them sent.
		req.Header.Set("Cookie", a.sm.Cookie.Name+"="+token)
	}
	resp, err := a.client.Do(req)
	require.NoError(t, err)
	defer func() { require.NoError(t, resp.Body.Close()) }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
	r := response{body: string(body)}
	for _, c := range resp.Cookies() {
		if c.Name == a.sm.Cookie.Name {
			r.cookie = true
			if c.MaxAge >= 0 {
				r.token = c.Value
			}
		}
	}
	return r
}

// userPairs indexes a session under ("app", its "user" value), decoded
// with the SessionManager's default codec; sessions without a user are not
// indexed.
func userPairs(_ context.Context, value []byte) ([]session.Pair, error) {
	_, values, err := scs.GobCodec{}.Decode(value)
	if err != nil {
		return nil, err
	}
	user, _ := values["user"].(string)
	if user == "" {
		return nil, nil
	}
	return []session.Pair{{Audience: "app", Subject: user}}, nil
}
