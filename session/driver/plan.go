package driver

import (
	"context"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// Planner turns the arguments of each Storage call into a checked plan: the
// shared argument rules applied once, and everything every driver derives
// from the arguments (item names, expiries, the old key's grace period)
// derived once, the same way for every driver. A driver calls the Planner
// method of the operation first, wraps its error with the driver's name, and
// then carries the plan out; nothing is written when planning fails.
//
// A Planner is a value; its zero value plans with an empty Naming and no
// value size limit.
type Planner struct {
	// Naming names session and index items (see Naming); drivers that name
	// nothing may leave it zero.
	Naming Naming
	// MaxValueSize is the largest value Set accepts, in bytes; zero means
	// unlimited. A larger value is an error matching session.ErrTooLarge.
	MaxValueSize int
}

// SetPlan is a checked Set. A driver carries it out in the order contract
// 2.17 requires of a store that cannot write several items atomically:
//
//  1. the session item (Item) with Value for TTL;
//  2. each index (IndexItem): Key live until Expiry, and Rotation.Key out;
//  3. the old item (OldItem): deleted with Rotation.Remember, else made to
//     expire at the end of the grace period unless it expires sooner.
//
// If step 2 fails, the driver removes the session item again (best effort)
// and returns the error: a session that its index does not list must not
// stay readable. Step 3 after step 2 keeps a rotated-away key listed for as
// long as a concurrent Set of that same key could make it live.
type SetPlan struct {
	Name  string
	Key   string
	Value []byte // the caller's slice: copy it if it is kept
	TTL   time.Duration
	Now   time.Time
	// Expiry is the session's listed expiry: Now+TTL rounded up to the
	// whole Unix second (ExpiryUnix).
	Expiry int64
	// TTLSeconds is TTL rounded up to whole seconds (CeilSeconds), for
	// backends that count TTLs in seconds.
	TTLSeconds int64
	// Rotation is the key rotated away; its Key is empty without one.
	Rotation Rotation
	// Metadata are the pairs the session is indexed under, in order; the
	// i-th index is named IndexItem(i).
	Metadata []session.Pair

	naming Naming
}

// Rotation is the old key of a rotating Set.
type Rotation struct {
	Key string
	// Remember deletes the old key at once instead of keeping it for the
	// grace period.
	Remember bool
	// StaleTTL is the grace period: SetOptions.StaleTTL, or
	// session.DefaultStaleTTL when that is zero.
	StaleTTL time.Duration
	// StaleSeconds is StaleTTL rounded up to whole seconds.
	StaleSeconds int64
	// StaleExpiry is Now+StaleTTL rounded up to the whole Unix second.
	StaleExpiry int64
}

// Item returns the name of the session item.
func (p *SetPlan) Item() string { return p.naming.SessionItem(p.Name, p.Key) }

// AppendItem appends Item() to dst.
func (p *SetPlan) AppendItem(dst []byte) []byte {
	return p.naming.AppendSessionItem(dst, p.Name, p.Key)
}

// OldItem returns the name of the rotated-away session's item ("" without a
// rotation).
func (p *SetPlan) OldItem() string {
	if p.Rotation.Key == "" {
		return ""
	}
	return p.naming.SessionItem(p.Name, p.Rotation.Key)
}

// AppendOldItem appends OldItem() to dst.
func (p *SetPlan) AppendOldItem(dst []byte) []byte {
	if p.Rotation.Key == "" {
		return dst
	}
	return p.naming.AppendSessionItem(dst, p.Name, p.Rotation.Key)
}

// IndexItem returns the name of the index of Metadata[i].
func (p *SetPlan) IndexItem(i int) string {
	return p.naming.IndexItem(p.Name, p.Metadata[i].Audience, p.Metadata[i].Subject)
}

// AppendIndexItem appends IndexItem(i) to dst.
func (p *SetPlan) AppendIndexItem(dst []byte, i int) []byte {
	return p.naming.AppendIndexItem(dst, p.Name, p.Metadata[i].Audience, p.Metadata[i].Subject)
}

// Set checks the arguments of Storage.Set and returns its plan.
func (pl Planner) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) (SetPlan, error) {
	if err := CheckContext(ctx); err != nil {
		return SetPlan{}, err
	}
	if err := CheckSet(name, key, ttl, opts); err != nil {
		return SetPlan{}, err
	}
	if err := CheckValueSize(value, pl.MaxValueSize); err != nil {
		return SetPlan{}, err
	}
	p := SetPlan{
		Name: name, Key: key, Value: value, TTL: ttl, Now: now,
		Expiry:     ExpiryUnix(now, ttl),
		TTLSeconds: CeilSeconds(ttl),
		Metadata:   opts.Metadata,
		naming:     pl.Naming,
	}
	if opts.OldKey != "" {
		stale := opts.StaleTTL
		if stale == 0 {
			stale = session.DefaultStaleTTL
		}
		p.Rotation = Rotation{
			Key:          opts.OldKey,
			Remember:     opts.Remember,
			StaleTTL:     stale,
			StaleSeconds: CeilSeconds(stale),
			StaleExpiry:  ExpiryUnix(now, stale),
		}
	}
	return p, nil
}

// GetPlan is a checked Get.
type GetPlan struct {
	Name, Key string

	naming Naming
}

// Item returns the name of the session item.
func (p *GetPlan) Item() string { return p.naming.SessionItem(p.Name, p.Key) }

// AppendItem appends Item() to dst.
func (p *GetPlan) AppendItem(dst []byte) []byte {
	return p.naming.AppendSessionItem(dst, p.Name, p.Key)
}

// Get checks the arguments of Storage.Get and returns its plan.
func (pl Planner) Get(ctx context.Context, name, key string) (GetPlan, error) {
	if err := CheckContext(ctx); err != nil {
		return GetPlan{}, err
	}
	if err := CheckGet(name, key); err != nil {
		return GetPlan{}, err
	}
	return GetPlan{Name: name, Key: key, naming: pl.Naming}, nil
}

// DeletePlan is a checked Delete. A driver that cannot write several items
// atomically takes Key out of every index (IndexItem) first and deletes the
// session item (Item) after (contract 2.17), so that a session is never
// readable while unlisted; if an index update fails it returns the error
// with the session still there.
type DeletePlan struct {
	Name, Key string
	Now       time.Time
	Metadata  []session.Pair

	naming Naming
}

// Item returns the name of the session item.
func (p *DeletePlan) Item() string { return p.naming.SessionItem(p.Name, p.Key) }

// AppendItem appends Item() to dst.
func (p *DeletePlan) AppendItem(dst []byte) []byte {
	return p.naming.AppendSessionItem(dst, p.Name, p.Key)
}

// IndexItem returns the name of the index of Metadata[i].
func (p *DeletePlan) IndexItem(i int) string {
	return p.naming.IndexItem(p.Name, p.Metadata[i].Audience, p.Metadata[i].Subject)
}

// AppendIndexItem appends IndexItem(i) to dst.
func (p *DeletePlan) AppendIndexItem(dst []byte, i int) []byte {
	return p.naming.AppendIndexItem(dst, p.Name, p.Metadata[i].Audience, p.Metadata[i].Subject)
}

// Delete checks the arguments of Storage.Delete and returns its plan.
func (pl Planner) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) (DeletePlan, error) {
	if err := CheckContext(ctx); err != nil {
		return DeletePlan{}, err
	}
	if err := CheckDelete(name, key, metadata); err != nil {
		return DeletePlan{}, err
	}
	return DeletePlan{Name: name, Key: key, Now: now, Metadata: metadata, naming: pl.Naming}, nil
}

// ReadPlan is a checked ReadMetadata.
type ReadPlan struct {
	Name, Audience, Subject string
	Now                     time.Time

	naming Naming
}

// IndexItem returns the name of the index to read.
func (p *ReadPlan) IndexItem() string { return p.naming.IndexItem(p.Name, p.Audience, p.Subject) }

// AppendIndexItem appends IndexItem() to dst.
func (p *ReadPlan) AppendIndexItem(dst []byte) []byte {
	return p.naming.AppendIndexItem(dst, p.Name, p.Audience, p.Subject)
}

// Live reports whether an entry expiring at expiry (Unix seconds) is listed:
// strictly after Now (contract 2.8).
func (p *ReadPlan) Live(expiry int64) bool { return expiry > p.Now.Unix() }

// ReadMetadata checks the arguments of Storage.ReadMetadata and returns its
// plan.
func (pl Planner) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (ReadPlan, error) {
	if err := CheckContext(ctx); err != nil {
		return ReadPlan{}, err
	}
	if err := CheckReadMetadata(name, audience, subject); err != nil {
		return ReadPlan{}, err
	}
	return ReadPlan{Name: name, Audience: audience, Subject: subject, Now: now, naming: pl.Naming}, nil
}
