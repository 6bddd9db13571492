package tracing

import (
	"context"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// The operations follow one pattern: no wrapped Storage, an error; tracing
// and metrics off, the wrapped call alone; otherwise begin, the
// operation's own attributes, the wrapped call, end. Only attributes that
// cannot identify a session or a user are recorded: never the key, the
// value or the subject.

// Set implements session.Storage.
func (t *Storage) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if t == nil || t.next == nil {
		return t.failNil(ctx, opSet, name)
	}
	if t.off() {
		return t.next.Set(ctx, name, key, value, ttl, now, opts)
	}
	ctx, c := t.begin(ctx, opSet, name)
	if c.recording() {
		if opts.OldKey != "" {
			c.span.SetAttributes(AttrRotation.Bool(true))
			if opts.Remember {
				c.span.SetAttributes(AttrRemember.Bool(true))
			}
		}
		if n := len(opts.Metadata); n > 0 {
			c.span.SetAttributes(AttrMetadataCount.Int(n))
		}
	}
	err := t.next.Set(ctx, name, key, value, ttl, now, opts)
	t.end(ctx, c, err)
	return err
}

// Get implements session.Storage. A miss (session.ErrNotFound) is not a
// failure: the span gets sessionstore.found=false and no error status.
func (t *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	if t == nil || t.next == nil {
		return nil, t.failNil(ctx, opGet, name)
	}
	if t.off() {
		return t.next.Get(ctx, name, key)
	}
	ctx, c := t.begin(ctx, opGet, name)
	value, err := t.next.Get(ctx, name, key)
	miss := isNotFound(err)
	if c.recording() {
		switch {
		case err == nil:
			c.span.SetAttributes(AttrFound.Bool(true))
		case miss:
			c.span.SetAttributes(AttrFound.Bool(false))
		}
	}
	if miss {
		t.end(ctx, c, nil)
	} else {
		t.end(ctx, c, err)
	}
	return value, err
}

// Delete implements session.Storage.
func (t *Storage) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if t == nil || t.next == nil {
		return t.failNil(ctx, opDelete, name)
	}
	if t.off() {
		return t.next.Delete(ctx, name, key, now, metadata)
	}
	ctx, c := t.begin(ctx, opDelete, name)
	if n := len(metadata); n > 0 && c.recording() {
		c.span.SetAttributes(AttrMetadataCount.Int(n))
	}
	err := t.next.Delete(ctx, name, key, now, metadata)
	t.end(ctx, c, err)
	return err
}

// ReadMetadata implements session.Storage. The audience is recorded; the
// subject never is. A damaged index (session.ErrCorruptIndex) comes with
// the entries the driver could still read: both are returned as they are,
// and the span records the fault as error.type besides how many entries
// were listed.
func (t *Storage) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if t == nil || t.next == nil {
		return nil, t.failNil(ctx, opReadMetadata, name)
	}
	if t.off() {
		return t.next.ReadMetadata(ctx, name, audience, subject, now)
	}
	ctx, c := t.begin(ctx, opReadMetadata, name)
	if audience != "" && c.recording() {
		c.span.SetAttributes(AttrAudience.String(audience))
	}
	live, err := t.next.ReadMetadata(ctx, name, audience, subject, now)
	if (err == nil || live != nil) && c.recording() {
		c.span.SetAttributes(AttrListed.Int(len(live)))
	}
	t.end(ctx, c, err)
	return live, err
}
