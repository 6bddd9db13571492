package sqlbench

import (
	"context"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// Ours is our driver as a store under test: every operation through the
// session.Storage API, as an application calls it.
type Ours struct{ S session.Storage }

func (o Ours) Set(ctx context.Context, key string, v []byte) error {
	return o.S.Set(ctx, CookieName, key, v, TTL, time.Now(), session.SetOptions{})
}

func (o Ours) Get(ctx context.Context, key string) ([]byte, error) {
	return o.S.Get(ctx, CookieName, key)
}

func (o Ours) SetIndexed(ctx context.Context, key string, v []byte, p session.Pair) error {
	return o.S.Set(ctx, CookieName, key, v, TTL, time.Now(), session.SetOptions{Metadata: []session.Pair{p}})
}

func (o Ours) Rotate(ctx context.Context, old, key string, v []byte, p session.Pair) error {
	return o.S.Set(ctx, CookieName, key, v, TTL, time.Now(), session.SetOptions{OldKey: old, Metadata: []session.Pair{p}})
}

func (o Ours) ReadMetadata(ctx context.Context, p session.Pair) (map[string]time.Time, error) {
	return o.S.ReadMetadata(ctx, CookieName, p.Audience, p.Subject, time.Now())
}

// SCSStore is what scs's stores (pgxstore, mysqlstore) do; the versions
// measured have no context variants.
type SCSStore interface {
	Commit(token string, b []byte, expiry time.Time) error
	Find(token string) ([]byte, bool, error)
}

// SCS is an scs store as a store under test: Set and Get call Commit and
// Find, as scs does.
type SCS struct{ S SCSStore }

func (p SCS) Set(_ context.Context, key string, v []byte) error {
	return p.S.Commit(key, v, time.Now().Add(TTL))
}

func (p SCS) Get(_ context.Context, key string) ([]byte, error) {
	v, ok, err := p.S.Find(key)
	if err == nil && !ok {
		err = ErrMiss
	}
	return v, err
}
