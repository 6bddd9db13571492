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
	if err := s.enter("set"); err != nil {
		return err
	}
	p, err := s.planner.Set(ctx, name, key, value, ttl, now, opts)
	if err != nil {
		return fmt.Errorf("mysql: set: %w", err)
	}
	if err := s.columns.CheckSet(&p, s.planner.Naming.HashSubject); err != nil {
		return fmt.Errorf("mysql: set: %w", err)
	}
	if value == nil {
		value = []byte{} // an empty value is a value; nil would be NULL
	}

	var v sqlstore.Values
	v[sqlstore.ArgName] = s.keyArg(p.Name)
	v[sqlstore.ArgKey] = s.keyArg(p.Key)
	v[sqlstore.ArgValue] = value
	v[sqlstore.ArgExp] = s.timeArg(p.Expiry)
	rot := sqlstore.RotateNone
	if p.Rotation.Key != "" {
		rot = sqlstore.RotateShorten
		if p.Rotation.Remember {
			rot = sqlstore.RotateRemember
		}
		v[sqlstore.ArgOldKey] = s.keyArg(p.Rotation.Key)
		v[sqlstore.ArgStaleExp] = s.timeArg(p.Rotation.StaleExpiry)
	}
	if n := len(p.Metadata); n > 0 {
		auds := make([]any, n)
		subs := make([]any, n)
		for i, pair := range p.Metadata {
			auds[i] = s.planner.Naming.Audience(pair.Audience)
			subs[i] = s.planner.Naming.Subject(pair.Subject)
		}
		v[sqlstore.ArgAudience] = auds
		v[sqlstore.ArgSubject] = subs
	}
	q := s.st.setQuery(rot, len(p.Metadata))
	if err := s.checkPacket(ctx, q, value); err != nil {
		return fmt.Errorf("mysql: set: %w", err)
	}
	if _, err = s.exec(ctx, "set", q, q.Bind(&v)); err != nil {
		s.forgetPacketLimit(err)
	}
	return err
}

// Get implements session.Storage: one SELECT of a row that is live by the
// Storage's clock (Config.Clock), exp > now.
func (s *Storage) Get(ctx context.Context, name, key string) ([]byte, error) {
	if err := s.enter("get"); err != nil {
		return nil, err
	}
	p, err := s.planner.Get(ctx, name, key)
	if err != nil {
		return nil, fmt.Errorf("mysql: get: %w", err)
	}
	if err := s.columns.CheckNameKey(p.Name, p.Key); err != nil {
		return nil, fmt.Errorf("mysql: get: %w", err)
	}
	var v sqlstore.Values
	v[sqlstore.ArgName] = s.keyArg(p.Name)
	v[sqlstore.ArgKey] = s.keyArg(p.Key)
	v[sqlstore.ArgNow] = s.timeArg(s.clock().Unix())
	// database/sql runs it again on a connection it found dead before
	// sending (driver.ErrBadConn); a read has nothing to roll back.
	var data []byte
	err = s.db.QueryRowContext(ctx, s.st.get.SQL, s.st.get.Bind(&v)...).Scan(&data)
	switch {
	case err == nil:
		if data == nil {
			data = []byte{}
		}
		return data, nil // Scan copies into a []byte: the slice is the caller's
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("mysql: get: %w", session.ErrNotFound)
	}
	return nil, s.callError(ctx, "get", classify(ctx, err))
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
		return fmt.Errorf("mysql: delete: %w", err)
	}
	if err := s.columns.CheckNameKey(p.Name, p.Key); err != nil {
		return fmt.Errorf("mysql: delete: %w", err)
	}
	var v sqlstore.Values
	v[sqlstore.ArgName] = s.keyArg(p.Name)
	v[sqlstore.ArgKey] = s.keyArg(p.Key)
	_, err = s.exec(ctx, "delete", query{Stmt: s.st.del}, s.st.del.Bind(&v))
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
		return nil, fmt.Errorf("mysql: read metadata: %w", err)
	}
	if err := s.columns.Name.Check("name", p.Name); err != nil {
		return nil, fmt.Errorf("mysql: read metadata: %w", err)
	}
	var v sqlstore.Values
	v[sqlstore.ArgName] = s.keyArg(p.Name)
	v[sqlstore.ArgAudience] = s.planner.Naming.Audience(p.Audience)
	v[sqlstore.ArgSubject] = s.planner.Naming.Subject(p.Subject)
	v[sqlstore.ArgNow] = s.timeArg(p.Now.Unix())
	out, err := s.readMetadata(ctx, s.st.readMetadata.Bind(&v))
	if err != nil {
		return nil, s.callError(ctx, "read metadata", classify(ctx, err))
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

// keyArg is a name or key as a parameter: bytes for OwnTables' VARBINARY
// columns (a _binary literal: any bytes, compared byte for byte), a string
// for LuaTables' ascii ones (checked to be ASCII already).
func (s *Storage) keyArg(k string) any {
	if s.ownKeys {
		return []byte(k)
	}
	return k
}

// timeArg is an expiry or a now in Unix seconds as a parameter: as it is
// for OwnTables' BIGINT, clamped to what FROM_UNIXTIME takes for
// LuaTables' DATETIME (see luaTime).
func (s *Storage) timeArg(sec int64) int64 {
	if s.ownKeys {
		return sec
	}
	return luaTime(sec)
}
