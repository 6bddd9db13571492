package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/session"
)

// Set implements session.Storage: one statement, or up to four in one
// transaction (see setDialect and sqlstore.Layout.SetStmts), sent as one
// query: one round trip.
func (s *Storage) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	call, err := s.core.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return err
	}
	q := s.st.setQuery(call.Rotation, call.Pairs)
	if err := s.checkPacket(ctx, q, call.Values[sqlstore.ArgValue].([]byte)); err != nil {
		return s.core.Errorf("set", err)
	}
	if _, err = s.exec(ctx, "set", q, q.Bind(&call.Values)); err != nil {
		s.forgetPacketLimit(err)
	}
	return err
}

// Get implements session.Storage: one SELECT of a row that is live by the
// Storage's clock (Config.Clock), exp > now.
func (s *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	v, err := s.core.Get(ctx, name, key)
	if err != nil {
		return nil, err
	}
	// database/sql runs it again on a connection it found dead before
	// sending (driver.ErrBadConn); a read has nothing to roll back.
	var data []byte
	err = s.db.QueryRowContext(ctx, s.st.get.SQL, s.st.get.Bind(v)...).Scan(&data)
	switch {
	case err == nil:
		if data == nil {
			data = []byte{}
		}
		return data, nil // Scan copies into a []byte: the slice is the caller's
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("mysql: get: %w", session.ErrNotFound)
	}
	return nil, s.core.CallError(ctx, "get", classify(ctx, err))
}

// Delete implements session.Storage: one DELETE of the session row; its
// index rows go with it by the foreign key's cascade, whatever pairs are
// passed (they are checked, not needed).
func (s *Storage) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) error {
	v, err := s.core.Delete(ctx, name, key, now, metadata)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, "delete", query{Stmt: s.st.del}, s.st.del.Bind(v))
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
	out, err := s.readMetadata(ctx, s.st.readMetadata.Bind(v))
	if err != nil {
		return nil, s.core.CallError(ctx, "read metadata", classify(ctx, err))
	}
	return out, nil
}

func (s *Storage) readMetadata(ctx context.Context, args []any) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, s.st.readMetadata.SQL, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	var (
		sid string
		exp int64
	)
	for rows.Next() {
		if err := rows.Scan(&sid, &exp); err != nil {
			return nil, err
		}
		out[sid] = time.Unix(exp, 0)
	}
	return out, rows.Err()
}
