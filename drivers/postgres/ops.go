package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionstore/sessionstore/session"
)

// Set implements session.Storage: one statement, or up to four sent as one
// pipeline (see setDialect and sqlstore.Layout.SetStmts), so one
// transaction and one round trip.
func (s *Storage) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	call, err := s.core.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return err
	}
	md := min(call.Pairs, 1)
	return s.execAll(ctx, "set", s.st.set[call.Rotation][md], &call.Values)
}

// Get implements session.Storage: one SELECT of a row that is live by the
// Storage's clock (Config.Clock), exp > now.
func (s *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := s.core.Get(ctx, name, key)
	if err != nil {
		return nil, err
	}
	args := s.st.get.Bind(v)
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
			return nil, s.core.CallError(ctx, "get", err)
		}
	}
}

// Delete implements session.Storage: one DELETE of the session row; its
// index rows go with it by the foreign key's cascade, whatever pairs are
// passed (they are checked, not needed).
func (s *Storage) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	v, err := s.core.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, "delete", s.st.del, v)
	return err
}

// ReadMetadata implements session.Storage: one SELECT joining the index to
// the sessions, so a key is listed with its session's own expiry while
// that session is live (exp > now).
func (s *Storage) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (map[string]time.Time, error) {
	v, err := s.core.ReadMetadata(ctx, name, audience, subject, now)
	if err != nil {
		return nil, err
	}
	args := s.st.readMetadata.Bind(v)
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
