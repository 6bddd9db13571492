package mysql

import (
	"errors"
	"strings"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// ownDialect is MySQL's and MariaDB's: identifiers quoted in backticks
// (doubled inside), one ? per parameter, names of up to 64 characters
// without supplementary characters or a trailing space (the server refuses
// those). Expiries are plain parameters: OwnTables keep Unix seconds.
var ownDialect = sqlstore.Dialect{
	Name:            "mysql",
	QuoteIdent:      quoteIdent,
	Placeholder:     func(int) string { return "?" },
	MaxIdentLen:     64,
	IdentLenInChars: true,
	CheckIdent:      checkIdent,
}

// luaDialect is ownDialect for lua-resty-session's tables, whose exp is a
// DATETIME in the session's time zone: written from Unix seconds with
// FROM_UNIXTIME and read back with UNIX_TIMESTAMP, exactly as Lua does, so
// that Go and OpenResty agree on every expiry whatever the server's time
// zone.
var luaDialect = func() sqlstore.Dialect {
	d := ownDialect
	d.TimeArg = func(p string) string { return "FROM_UNIXTIME(" + p + ")" }
	d.TimeColumn = func(c string) string { return "UNIX_TIMESTAMP(" + c + ")" }
	return d
}()

func dialectOf(m Mode) sqlstore.Dialect {
	if m == LuaTables {
		return luaDialect
	}
	return ownDialect
}

func quoteIdent(p string) string { return "`" + strings.ReplaceAll(p, "`", "``") + "`" }

var (
	errIdentSpace = errors.New("ends with a space (MySQL refuses such names)")
	errIdentBMP   = errors.New("holds a character beyond U+FFFF (MySQL refuses it in names)")
)

func checkIdent(p string) error {
	if strings.HasSuffix(p, " ") {
		return errIdentSpace
	}
	for _, r := range p {
		if r > 0xFFFF {
			return errIdentBMP
		}
	}
	return nil
}

// maxCachedPairs is the most index pairs whose Set statements New renders
// in advance; a Set with more renders its own.
const maxCachedPairs = 4

// Transactions: an operation of several statements is one query,
//
//	SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; …; COMMIT
//
// READ COMMITTED gives each statement a fresh snapshot and takes no gap
// locks, as the PostgreSQL driver's transactions do (InnoDB's default,
// REPEATABLE READ, would lock the gaps around a missing key and deadlock
// concurrent inserts). It needs binlog_format ROW or MIXED where the
// binary log is on (the default of MySQL 8 and MariaDB). SET TRANSACTION
// without SESSION applies to the next transaction only.
const (
	txnBegin = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; "
	txnEnd   = "; COMMIT"
)

// statements are a Storage's SQL, rendered once by New. Every value is a
// parameter; table names are quoted. Get, Delete and ReadMetadata are one
// statement each; a Set is one statement, or up to four in one
// transaction, sent as one query.
type statements struct {
	layout                        sqlstore.Layout
	dialect                       sqlstore.Dialect
	get, readMetadata, del, sweep sqlstore.Stmt
	// set[rotation][pairs], pairs up to maxCachedPairs.
	set [sqlstore.NumRotations][maxCachedPairs + 1]query
}

// query is what one round trip sends: statements joined, and whether they
// form a transaction (which a failure must roll back).
type query struct {
	sqlstore.Stmt
	txn bool
}

func newStatements(l sqlstore.Layout) *statements {
	d := dialectOf(l.Mode)
	st := &statements{
		layout:       l,
		dialect:      d,
		get:          l.Get(d),
		readMetadata: l.ReadMetadata(d),
		del:          l.Delete(d),
		sweep:        sweepStmt(l, d),
	}
	for rot := range sqlstore.NumRotations {
		for n := range maxCachedPairs + 1 {
			st.set[rot][n] = st.render(rot, n)
		}
	}
	return st
}

// setQuery returns the query of a Set with rotation rot and n index pairs.
func (st *statements) setQuery(rot sqlstore.Rotation, n int) query {
	if n <= maxCachedPairs {
		return st.set[rot][n]
	}
	return st.render(rot, n)
}

// render writes a Set's statements (sqlstore.Layout.SetStmts: the order
// that keeps the revocation guarantee) for n pairs as one query.
func (st *statements) render(rot sqlstore.Rotation, n int) query {
	return join(st.layout.SetStmts(st.dialect, setDialect(n), rot, n > 0))
}

// setDialect writes MySQL's parts of a Set of n pairs. The upsert
// replaces data and exp of a row already there with ON DUPLICATE KEY
// UPDATE … VALUES(col), the form MySQL 8 and MariaDB 10.11 both run:
// lua-resty-session's "AS new … data = new.data" needs MySQL 8.0.19+, is
// not MariaDB syntax, and leaves exp alone (a bug, not ported). MySQL
// deprecates VALUES() here since 8.0.20 but still runs it. The name
// column of a LuaTables row keeps its first writer's name, as with Lua.
// Index rows are a VALUES list of n rows (MySQL has no array parameters),
// kept when already there as Lua keeps them ("sid = sid").
func setDialect(n int) sqlstore.SetDialect {
	return sqlstore.SetDialect{
		Upsert: func(b *sqlstore.Builder, _ sqlstore.Layout) {
			b.S(" ON DUPLICATE KEY UPDATE data = VALUES(data), exp = VALUES(exp)")
		},
		IndexRows: func(b *sqlstore.Builder, l sqlstore.Layout) { l.WriteIndexValues(b, n) },
		IndexKeep: " ON DUPLICATE KEY UPDATE sid = sid",
		Pairs:     func(b *sqlstore.Builder) { sqlstore.WritePairList(b, n) },
	}
}

// join makes one query of statements: a single statement as it is (one
// statement is atomic by itself), several as one transaction.
func join(sts []sqlstore.Stmt) query {
	if len(sts) == 1 {
		return query{Stmt: sts[0]}
	}
	var (
		sb    strings.Builder
		args  []sqlstore.Arg
		elems []int
	)
	sb.WriteString(txnBegin)
	for i, s := range sts {
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(s.SQL)
		args = append(args, s.Args...)
		for j := range s.Args {
			e := -1
			if s.Elems != nil {
				e = s.Elems[j]
			}
			elems = append(elems, e)
		}
	}
	sb.WriteString(txnEnd)
	return query{Stmt: sqlstore.Stmt{SQL: sb.String(), Args: args, Elems: elems}, txn: true}
}

// sweepStmt deletes at most ArgLimit sessions that expired before ArgNow,
// oldest first (the index rows go by the foreign key's cascade), in READ
// COMMITTED so that it locks only the rows it deletes. MySQL has no
// DELETE … SKIP LOCKED (nor LIMIT in an IN subquery): two sweepers of the
// same tables take turns, each batch short.
func sweepStmt(l sqlstore.Layout, d sqlstore.Dialect) sqlstore.Stmt {
	b := sqlstore.NewBuilder(d)
	b.S("SET TRANSACTION ISOLATION LEVEL READ COMMITTED; DELETE FROM ").Table(l.Sessions).
		S(" WHERE exp < ").T(sqlstore.ArgNow).S(" ORDER BY exp LIMIT ").P(sqlstore.ArgLimit)
	return b.Stmt()
}
