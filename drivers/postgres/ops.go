package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// Set implements session.Storage: one statement, or up to four sent as one
// pipeline (see setStmts), so one transaction and one round trip.
func (s *Storage) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := s.enter("set"); err != nil {
		return err
	}
	p, err := s.planner.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return fmt.Errorf("postgres: set: %w", err)
	}
	if err := s.checkNameKey(p.Name, p.Key); err != nil {
		return fmt.Errorf("postgres: set: %w", err)
	}
	if p.Rotation.Key != "" {
		if err := sqlstore.CheckTextString("opts.OldKey", p.Rotation.Key); err != nil {
			return fmt.Errorf("postgres: set: %w", err)
		}
	}
	if err := checkSetLengths(&p); err != nil {
		return fmt.Errorf("postgres: set: %w", err)
	}
	if s.layout.Mode.TextValues() {
		if err := sqlstore.CheckText("value", value); err != nil {
			return fmt.Errorf("postgres: set: %w", err)
		}
	}
	if value == nil {
		value = []byte{} // an empty value is a value; nil would be NULL
	}

	var v sqlstore.Values
	v[sqlstore.ArgName] = p.Name
	v[sqlstore.ArgKey] = p.Key
	v[sqlstore.ArgValue] = value
	v[sqlstore.ArgExp] = unixTime(p.Expiry)
	rot := rotNone
	if p.Rotation.Key != "" {
		rot = rotShorten
		if p.Rotation.Remember {
			rot = rotRemember
		}
		v[sqlstore.ArgOldKey] = p.Rotation.Key
		v[sqlstore.ArgStaleExp] = unixTime(p.Rotation.StaleExpiry)
	}
	md := 0
	if len(p.Metadata) > 0 {
		md = 1
		auds := make([]string, len(p.Metadata))
		subs := make([]string, len(p.Metadata))
		for i, pair := range p.Metadata {
			auds[i] = s.planner.Naming.Audience(pair.Audience)
			subs[i] = s.planner.Naming.Subject(pair.Subject)
		}
		v[sqlstore.ArgAudience] = auds
		v[sqlstore.ArgSubject] = subs
	}
	return s.execAll(ctx, "set", s.st.set[rot][md], &v)
}

// Get implements session.Storage: one SELECT of a row that is live by the
// Storage's clock (Config.Clock), exp > now.
func (s *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := s.enter("get"); err != nil {
		return nil, err
	}
	p, err := s.planner.Get(ctx, name, key)
	if err != nil {
		return nil, fmt.Errorf("postgres: get: %w", err)
	}
	if err := s.checkNameKey(p.Name, p.Key); err != nil {
		return nil, fmt.Errorf("postgres: get: %w", err)
	}
	var v sqlstore.Values
	v[sqlstore.ArgName] = p.Name
	v[sqlstore.ArgKey] = p.Key
	v[sqlstore.ArgNow] = pgTime(s.clock())
	args := s.st.get.Bind(&v)
	var data []byte
	for try := 1; ; try++ {
		c, err := s.begin(ctx)
		if err == nil {
			err = s.end(ctx, c, c.QueryRow(ctx, s.st.get.SQL, args...).Scan(&data))
		}
		switch {
		case err == nil:
			if data == nil {
				data = []byte{}
			}
			return data, nil // pgx copies what it scans: the slice is the caller's
		case errors.Is(err, errNoRows):
			return nil, fmt.Errorf("postgres: get: %w", session.ErrNotFound)
		case !again(ctx, err, try):
			return nil, s.callError(ctx, "get", err)
		}
	}
}

// Delete implements session.Storage: one DELETE of the session row; its
// index rows go with it by the foreign key's cascade, whatever pairs are
// passed (they are checked, not needed).
func (s *Storage) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	if err := s.enter("delete"); err != nil {
		return err
	}
	p, err := s.planner.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return fmt.Errorf("postgres: delete: %w", err)
	}
	if err := s.checkNameKey(p.Name, p.Key); err != nil {
		return fmt.Errorf("postgres: delete: %w", err)
	}
	var v sqlstore.Values
	v[sqlstore.ArgName] = p.Name
	v[sqlstore.ArgKey] = p.Key
	_, err = s.exec(ctx, "delete", s.st.del, &v)
	return err
}

// ReadMetadata implements session.Storage: one SELECT joining the index to
// the sessions, so a key is listed with its session's own expiry while
// that session is live (exp > now).
func (s *Storage) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	if err := s.enter("read metadata"); err != nil {
		return nil, err
	}
	p, err := s.planner.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, fmt.Errorf("postgres: read metadata: %w", err)
	}
	if err := sqlstore.CheckTextString("name", p.Name); err != nil {
		return nil, fmt.Errorf("postgres: read metadata: %w", err)
	}
	var v sqlstore.Values
	v[sqlstore.ArgName] = p.Name
	v[sqlstore.ArgAudience] = s.planner.Naming.Audience(p.Audience)
	v[sqlstore.ArgSubject] = s.planner.Naming.Subject(p.Subject)
	v[sqlstore.ArgNow] = pgTime(p.Now)
	args := s.st.readMetadata.Bind(&v)
	var out map[string]time.Time
	err = s.run(ctx, "read metadata", func(ctx context.Context, c *pgxpool.Conn) error {
		out = map[string]time.Time{} // a retry starts afresh
		rows, err := c.Query(ctx, s.st.readMetadata.SQL, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			sid string
			exp time.Time
		)
		for rows.Next() {
			if err := rows.Scan(&sid, &exp); err != nil {
				return err
			}
			out[sid] = wholeSecond(exp)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkNameKey refuses a name or key that a TEXT column cannot hold, in
// both modes: nothing is sent.
func (s *Storage) checkNameKey(name, key string) error {
	if err := sqlstore.CheckTextString("name", name); err != nil {
		return err
	}
	return sqlstore.CheckTextString("key", key)
}

// checkSetLengths refuses what would not fit the tables' B-tree keys.
func checkSetLengths(p *driver.SetPlan) error {
	if err := sqlstore.CheckLen("name", p.Name, MaxNameLength); err != nil {
		return err
	}
	if err := sqlstore.CheckLen("key", p.Key, MaxKeyLength); err != nil {
		return err
	}
	for i, pair := range p.Metadata {
		if err := sqlstore.CheckLen("metadata["+strconv.Itoa(i)+"].Audience", pair.Audience, MaxPairLength); err != nil {
			return err
		}
		if err := sqlstore.CheckLen("metadata["+strconv.Itoa(i)+"].Subject", pair.Subject, MaxPairLength); err != nil {
			return err
		}
	}
	return nil
}
