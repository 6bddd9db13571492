package scsstore

import (
	"context"
	"strings"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// DefaultCookieName is the cookie name a Store uses when WithCookieName is
// not given. It is scs's default cookie name and lua-resty-session's.
const DefaultCookieName = "session"

// Option configures a Store.
type Option func(*config)

// MetadataFunc returns the (audience, subject) pairs under which the session
// whose scs-encoded value is value is indexed: typically the logged-in user
// of that session, decoded with the SessionManager's Codec. It returns no
// pair for a session that belongs to nobody (not logged in). It must be safe
// for concurrent use; its error is returned wrapped, so it must not quote the
// value.
//
// It is given the value rather than read from ctx on purpose: scs calls the
// store while it holds the session's lock (a SessionManager method such as
// GetString called from here would deadlock), and the ctx it passes is the
// one LoadAndSave built before the handler ran, so nothing the handler
// learned (who just logged in) is in it. The value is what scs is about to
// store, so the index always describes what is stored.
type MetadataFunc func(ctx context.Context, value []byte) ([]session.Pair, error)

type config struct {
	name     string
	metadata MetadataFunc
}

// WithCookieName sets the cookie name under which the Store keeps its
// tokens in the Storage (the Storage's name argument; default
// DefaultCookieName). Sessions of different names are apart: two
// SessionManagers sharing a Storage need two names, and session.RevokeAll
// and ReadMetadata must be called with the same name. It must not be empty
// or contain ':'; otherwise every call of the Store fails with an error
// matching session.ErrInvalidArgument.
func WithCookieName(name string) Option {
	return func(c *config) { c.name = name }
}

// WithMetadata indexes every committed session under the pairs fn derives
// from its value, so that the Storage's per-user index (ReadMetadata,
// session.RevokeAll) covers the sessions scs manages. Commit passes the
// pairs to Set with the session's own expiry, so the index never outlives a
// session nor ends before it; Delete reads the value first so that the token
// also leaves those indexes. A nil fn indexes nothing (the default).
func WithMetadata(fn MetadataFunc) Option {
	return func(c *config) { c.metadata = fn }
}

// check reports a configuration no Storage accepts, with the same errors the
// Storage would give.
func (c *config) check() error {
	switch {
	case c.name == "":
		return driver.Invalid("cookie name", "must not be empty")
	case strings.IndexByte(c.name, ':') >= 0:
		return driver.Invalid("cookie name", "must not contain ':'")
	}
	return nil
}
