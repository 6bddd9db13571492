package app

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// Defaults for the zero fields of Config.
const (
	DefaultTTL          = 30 * time.Minute
	DefaultRotateEvery  = 30 * time.Second
	DefaultStaleTTL     = session.DefaultStaleTTL
	DefaultAudience     = "default"
	DefaultMaxBodyBytes = 4 << 10
)

// Config configures an App. Only Store is required.
type Config struct {
	// Store keeps the sessions. The App does not close it.
	Store session.Storage
	// Now is the app's clock (default time.Now). Tests inject a fake one,
	// together with a driver that reads the same clock.
	Now func() time.Time
	// TTL is how long a session lives after its last rotation.
	TTL time.Duration
	// RotateEvery is how old a session id may get before the next request
	// replaces it with a fresh one.
	RotateEvery time.Duration
	// StaleTTL is how long a rotated-away id keeps working.
	StaleTTL time.Duration
	// Audience is the metadata audience sessions are indexed under.
	Audience string
	// Secure marks cookies Secure (and names them with the __Host- prefix)
	// even on plain-HTTP requests, for a server behind a TLS proxy. Requests
	// that arrive over TLS get Secure cookies anyway.
	Secure bool
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	MaxBodyBytes int64
	// Logger receives errors (never a session id). Default slog.Default().
	Logger *slog.Logger
}

// App is an http.Handler. Create it with New.
type App struct {
	cfg     Config
	handler http.Handler // the routes, behind cross-origin protection
}

// New checks cfg, fills in defaults and returns the App.
func New(cfg Config) (*App, error) {
	if cfg.Store == nil {
		return nil, errors.New("app: Config.Store is required")
	}
	if cfg.TTL < 0 || cfg.RotateEvery < 0 || cfg.StaleTTL < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("app: durations and sizes must not be negative")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.RotateEvery == 0 {
		cfg.RotateEvery = DefaultRotateEvery
	}
	if cfg.StaleTTL == 0 {
		cfg.StaleTTL = DefaultStaleTTL
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &App{cfg: cfg}
	a.handler = a.routes()
	return a, nil
}
