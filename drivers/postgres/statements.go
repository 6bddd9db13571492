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

// statements are a Storage's SQL, rendered once by New. Every value is a
// parameter; table names are quoted. Get, Delete and ReadMetadata are one
// statement each; a Set is one statement, or several sent as one pipeline
// (a pgx batch): one implicit transaction and, once pgx has prepared the
// statements on a connection, one round trip.
type statements struct {
	get, readMetadata, del, sweep sqlstore.Stmt
	// set[rotation][withMetadata]
	set [sqlstore.NumRotations][2][]sqlstore.Stmt
}

func newStatements(l sqlstore.Layout) *statements {
	st := &statements{
		get:          l.Get(dialect),
		readMetadata: l.ReadMetadata(dialect),
		del:          l.Delete(dialect),
		sweep:        sweepStmt(l),
	}
	for rot := range sqlstore.NumRotations {
		for md := range 2 {
			st.set[rot][md] = l.SetStmts(dialect, setDialect, rot, md == 1)
		}
	}
	return st
}

// setDialect writes PostgreSQL's parts of a Set (sqlstore.Layout.SetStmts
// decides their order): an upsert that replaces value and expiry, as
// lua-resty-session's does (name, in LuaTables, stays the first writer's:
// Lua never looks at it), and the index pairs as two text arrays
// unnested, so that one prepared statement serves any number of pairs.
//
// The statements run as one pipeline, each with a fresh READ COMMITTED
// snapshot. One statement with data-modifying CTEs cannot keep the
// revocation guarantee: its parts share one snapshot taken before any
// lock, and PostgreSQL runs unreferenced CTEs after the main part.
var setDialect = sqlstore.SetDialect{
	Upsert: func(b *sqlstore.Builder, l sqlstore.Layout) {
		b.S(" ON CONFLICT (" + l.SessionKeyCols() + ") DO UPDATE SET data = EXCLUDED.data, exp = EXCLUDED.exp")
	},
	IndexRows: func(b *sqlstore.Builder, l sqlstore.Layout) {
		b.S("SELECT ")
		if l.Mode == sqlstore.OwnTables {
			b.P(sqlstore.ArgName).S(", ")
		}
		b.S("p.a, p.s, ").P(sqlstore.ArgKey).S(" FROM ")
		writePairs(b)
	},
	IndexKeep: " ON CONFLICT DO NOTHING",
	Pairs: func(b *sqlstore.Builder) {
		b.S("(SELECT p.a, p.s FROM ")
		writePairs(b)
		b.S(")")
	},
}

// writePairs turns the two parameter arrays of encoded audiences and subjects
// into rows (a, s).
func writePairs(b *sqlstore.Builder) {
	b.S("unnest(").P(sqlstore.ArgAudience).S("::text[], ").P(sqlstore.ArgSubject).S("::text[]) AS p(a, s)")
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
