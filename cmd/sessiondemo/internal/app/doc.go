// Package app is the HTTP side of sessiondemo: log in, id rotation with a
// stale grace period, listing a user's sessions and logging out everywhere,
// all on a session.Storage. It lives apart from package main so that its
// end-to-end test can drive it with an injected clock and any driver.
//
// Use:
//
//	a, err := app.New(app.Config{Store: store})
//	if err != nil { … }
//	err = http.ListenAndServe("127.0.0.1:8080", a)
//
// Walkthrough tells the same story without HTTP, on a simulated clock.
package app

// The files follow a request, and calls run down this list:
//
//	config.go       Config, defaults, New
//	routes.go       the routes; the headers and panic guard of every answer
//	login.go        the home page and login
//	sessions.go     the session list
//	logout.go       logout and logout everywhere
//	notice.go       the one-shot notice a browser sent home is shown
//	current.go      loading the request's session, rotating its id
//	ids.go          session ids, fingerprints and the cookie that carries them
//	render.go       answers: HTML pages, JSON, errors; browser or not, by Accept
//	walkthrough.go  the -walkthrough story, on the memory driver
