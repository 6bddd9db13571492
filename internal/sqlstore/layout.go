package sqlstore

// Layout is a driver's tables: the mode and the two checked names. Its
// methods write the statement shapes that PostgreSQL and MySQL/MariaDB
// both accept; a driver runs them as they are or embeds them in its own
// (PostgreSQL runs a whole Set as one statement of several parts).
//
// Columns, in both modes: sessions (name, sid, data, exp) and the index
// (aud, sub, sid), plus name in OwnTables. aud and sub hold the audience and
// subject base64url-encoded (driver.Naming), as lua-resty-session stores
// them; exp is a timestamp, and a session is live while exp > now.
type Layout struct {
	Mode     Mode
	Sessions Table
	Meta     Table
}

// SessionKeyCols lists the sessions table's key columns: "name, sid" in
// OwnTables, "sid" in LuaTables (the conflict target of an upsert).
func (l Layout) SessionKeyCols() string {
	if l.Mode == LuaTables {
		return "sid"
	}
	return "name, sid"
}

// MetaCols lists the index table's columns in insert order.
func (l Layout) MetaCols() string {
	if l.Mode == LuaTables {
		return "aud, sub, sid"
	}
	return "name, aud, sub, sid"
}

// KeyMatch writes the condition selecting the session of (ArgName, key)
// in the sessions table, its columns qualified by alias when alias is not
// empty. LuaTables match on sid alone.
func (l Layout) KeyMatch(b *Builder, alias string, key Arg) {
	q := ""
	if alias != "" {
		q = alias + "."
	}
	if l.Mode == OwnTables {
		b.S(q + "name = ").P(ArgName).S(" AND ")
	}
	b.S(q + "sid = ").P(key)
}

// Get selects the live value of (ArgName, ArgKey): one row with column
// data, or none. In LuaTables, whose columns may be NULL, a row without
// data is no session (lua-resty-session reads it as none).
func (l Layout) Get(d Dialect) Stmt {
	b := NewBuilder(d)
	b.S("SELECT data FROM ").Table(l.Sessions).S(" WHERE ")
	l.KeyMatch(b, "", ArgKey)
	b.S(" AND exp > ").P(ArgNow)
	if l.Mode == LuaTables {
		b.S(" AND data IS NOT NULL")
	}
	return b.Stmt()
}

// ReadMetadata selects the live sessions indexed under (ArgName,
// ArgAudience, ArgSubject): rows (sid, exp). The expiry is the session's
// own, so the index can never list a session as living longer or shorter
// than it does.
func (l Layout) ReadMetadata(d Dialect) Stmt {
	b := NewBuilder(d)
	b.S("SELECT m.sid, s.exp FROM ").Table(l.Meta).S(" AS m JOIN ").Table(l.Sessions).S(" AS s ON ")
	if l.Mode == OwnTables {
		b.S("s.name = m.name AND ")
	}
	b.S("s.sid = m.sid WHERE ")
	if l.Mode == OwnTables {
		b.S("m.name = ").P(ArgName).S(" AND ")
	}
	b.S("m.aud = ").P(ArgAudience).S(" AND m.sub = ").P(ArgSubject).S(" AND s.exp > ").P(ArgNow)
	return b.Stmt()
}

// Delete deletes the session of (ArgName, ArgKey). Its index rows go with
// it: the index table's foreign key cascades, in both modes.
func (l Layout) Delete(d Dialect) Stmt {
	b := NewBuilder(d)
	l.WriteDelete(b, ArgKey)
	return b.Stmt()
}

// WriteDelete writes the deletion of the session of (ArgName, key).
func (l Layout) WriteDelete(b *Builder, key Arg) {
	b.S("DELETE FROM ").Table(l.Sessions).S(" WHERE ")
	l.KeyMatch(b, "", key)
}

// WriteShorten writes a rotation's update of the old key: its expiry
// becomes ArgStaleExp where that shortens it, never later, and an old key
// that does not exist is not created. The update writes the row even when
// it keeps its expiry (LEAST), so that it always takes the old session's
// row lock: a concurrent Set of the old key then waits for the rotation,
// or the rotation for it, and the index rows written after the lock agree
// with the session (see WriteOldIsStale).
func (l Layout) WriteShorten(b *Builder) {
	b.S("UPDATE ").Table(l.Sessions).S(" SET exp = LEAST(exp, ").P(ArgStaleExp).S(") WHERE ")
	l.KeyMatch(b, "", ArgOldKey)
}

// WriteOldIsStale writes the condition under which a rotation may take the
// old key out of the index: its session exists and ends within the grace
// period. Run in a statement after WriteShorten's (READ COMMITTED gives it
// a fresh snapshot): if the rotation locked the old session, the condition
// sees its own update; if the old session did not exist, or a concurrent
// Set wrote it anew since, the index rows stay, because that session is
// live and must stay listed (contract 2.17).
func (l Layout) WriteOldIsStale(b *Builder) {
	b.S("EXISTS (SELECT 1 FROM ").Table(l.Sessions).S(" WHERE ")
	l.KeyMatch(b, "", ArgOldKey)
	b.S(" AND exp <= ").P(ArgStaleExp).S(")")
}

// WriteInsertSession writes the insert of (ArgName, ArgKey, ArgValue,
// ArgExp) into the sessions table, without the dialect's upsert clause.
func (l Layout) WriteInsertSession(b *Builder) {
	b.S("INSERT INTO ").Table(l.Sessions).S(" (name, sid, data, exp) VALUES (").
		P(ArgName).S(", ").P(ArgKey).S(", ").P(ArgValue).S(", ").P(ArgExp).S(")")
}
