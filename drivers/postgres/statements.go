package postgres

import (
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// dialect is PostgreSQL's: identifiers quoted by pgx.Identifier (double
// quotes doubled), numbered $n placeholders, names up to NAMEDATALEN-1 =
// 63 bytes (the server truncates longer ones silently).
var dialect = sqlstore.Dialect{
	Name:           "postgresql",
	QuoteIdent:     func(p string) string { return pgx.Identifier{p}.Sanitize() },
	Placeholder:    func(n int) string { return "$" + strconv.Itoa(n) },
	NumberedParams: true,
	MaxIdentLen:    maxIdentLen,
}

// maxIdentLen is PostgreSQL's NAMEDATALEN-1.
const maxIdentLen = 63

// rotation kinds of a Set, for choosing its statement.
const (
	rotNone = iota
	rotShorten
	rotRemember
	numRot
)

// statements are a Storage's SQL, rendered once by New. Every value is a
// parameter; table names are quoted. Get, Delete and ReadMetadata are one
// statement each; a Set is one statement, or several sent as one pipeline
// (a pgx batch): one implicit transaction and, once pgx has prepared the
// statements on a connection, one round trip.
type statements struct {
	get, readMetadata, del, sweep sqlstore.Stmt
	// set[rotation][withMetadata]
	set [numRot][2][]sqlstore.Stmt
}

func newStatements(l sqlstore.Layout) *statements {
	st := &statements{
		get:          l.Get(dialect),
		readMetadata: l.ReadMetadata(dialect),
		del:          l.Delete(dialect),
		sweep:        sweepStmt(l),
	}
	for rot := range numRot {
		for md := range 2 {
			st.set[rot][md] = setStmts(l, rot, md == 1)
		}
	}
	return st
}

// setStmts returns the statements of a Set, in the order they run:
//
//  1. the session's upsert, which takes its row lock;
//  2. with a rotation, the old session's update (LEAST: shortened, never
//     lengthened, and locked even when unchanged), or with Remember its
//     deletion (the foreign key's cascade takes its index rows);
//  3. with a rotation and metadata, the old key's removal from this Set's
//     pairs, only if the old session ends within its grace period;
//  4. with metadata, the new key's index rows.
//
// Every statement that changes a key's index rows runs after one that
// holds that key's session row lock, so index and session change together
// under one lock, and each statement reads a fresh snapshot (READ
// COMMITTED): a concurrent Set, rotation or Delete of the same key is
// ordered before or after the whole Set, never between its parts, and a
// readable session is never left unlisted (contract 2.17). One statement
// with data-modifying CTEs cannot promise that: its parts share one
// snapshot taken before any lock, and PostgreSQL runs unreferenced CTEs
// after the main part.
func setStmts(l sqlstore.Layout, rot int, withMetadata bool) []sqlstore.Stmt {
	out := []sqlstore.Stmt{upsertStmt(l)}
	switch rot {
	case rotShorten:
		b := sqlstore.NewBuilder(dialect)
		l.WriteShorten(b)
		out = append(out, b.Stmt())
		if withMetadata {
			out = append(out, unindexOldStmt(l))
		}
	case rotRemember:
		b := sqlstore.NewBuilder(dialect)
		l.WriteDelete(b, sqlstore.ArgOldKey)
		out = append(out, b.Stmt())
	}
	if withMetadata {
		out = append(out, indexStmt(l))
	}
	return out
}

// upsertStmt is the session's insert-or-replace: value and expiry are
// replaced, as lua-resty-session's upsert does (name, in LuaTables, stays
// the first writer's: Lua never looks at it).
func upsertStmt(l sqlstore.Layout) sqlstore.Stmt {
	b := sqlstore.NewBuilder(dialect)
	l.WriteInsertSession(b)
	b.S(" ON CONFLICT (" + l.SessionKeyCols() + ") DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp")
	return b.Stmt()
}

// writePairs turns the two parameter arrays of encoded audiences and subjects
// into rows (a, s).
func writePairs(b *sqlstore.Builder) {
	b.S("unnest(").P(sqlstore.ArgAudience).S("::text[], ").P(sqlstore.ArgSubject).S("::text[]) AS p(a, s)")
}

// indexStmt writes the index rows of the new key, one per pair; a row
// already there stays (the listed expiry is the session's own).
func indexStmt(l sqlstore.Layout) sqlstore.Stmt {
	b := sqlstore.NewBuilder(dialect)
	b.S("INSERT INTO ").Table(l.Meta).S(" (" + l.MetaCols() + ") SELECT ")
	if l.Mode == sqlstore.OwnTables {
		b.P(sqlstore.ArgName).S(", ")
	}
	b.S("p.a, p.s, ").P(sqlstore.ArgKey).S(" FROM ")
	writePairs(b)
	b.S(" ON CONFLICT DO NOTHING")
	return b.Stmt()
}

// unindexOldStmt removes the rotated-away key from the indexes of this
// Set's pairs (lua-resty-session leaves it listed until its grace period
// ends; contract 2.8 wants it gone at once), if its session ends within the
// grace period (sqlstore.Layout.WriteOldIsStale).
func unindexOldStmt(l sqlstore.Layout) sqlstore.Stmt {
	b := sqlstore.NewBuilder(dialect)
	b.S("DELETE FROM ").Table(l.Meta).S(" WHERE ")
	if l.Mode == sqlstore.OwnTables {
		b.S("name = ").P(sqlstore.ArgName).S(" AND ")
	}
	b.S("sid = ").P(sqlstore.ArgOldKey).S(" AND (aud, sub) IN (SELECT p.a, p.s FROM ")
	writePairs(b)
	b.S(") AND ")
	l.WriteOldIsStale(b)
	return b.Stmt()
}

// sweepStmt deletes at most $limit sessions that expired before $now (the
// index rows go by the foreign key's cascade). Rows another sweeper (or a
// writer) holds are skipped rather than waited for, so sweepers in several
// processes do not queue behind each other.
func sweepStmt(l sqlstore.Layout) sqlstore.Stmt {
	b := sqlstore.NewBuilder(dialect)
	keys := l.SessionKeyCols()
	b.S("DELETE FROM ").Table(l.Sessions).S(" WHERE (" + keys + ") IN (SELECT " + keys + " FROM ").Table(l.Sessions).
		S(" WHERE exp < ").P(sqlstore.ArgNow).S(" LIMIT ").P(sqlstore.ArgLimit).S(" FOR UPDATE SKIP LOCKED)")
	return b.Stmt()
}
