package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// schemaLockKey is the advisory lock CreateSchema holds while it creates
// tables, so that processes starting at once do not race on the catalog
// (two concurrent CREATE TABLE IF NOT EXISTS of one name can fail).
const schemaLockKey = 0x53657373696f6e // "Session"

// CreateSchema creates the Storage's tables and indexes where they do not
// exist yet, in one transaction: the driver never creates anything on its
// own. Run it at deployment or start-up with a role allowed to create
// tables; running it again changes nothing. In LuaTables mode it creates
// exactly lua-resty-session's tables (section 8 of the contract; the exp
// index gets the name PostgreSQL gives Lua's unnamed one, so a table made
// by Lua's own DDL is recognised). A schema named in Table must exist.
func (s *Storage) CreateSchema(ctx context.Context) error {
	if err := s.core.Enter("create schema"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLockKey)); err != nil {
			return err
		}
		for _, stmt := range schemaStatements(s.core.Layout) {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.core.CallError(ctx, "create schema", err)
	}
	return nil
}

// SchemaSQL returns the statements CreateSchema runs for cfg's tables,
// separated by ";\n", for migration tools and DBAs. Only cfg's Mode,
// Table and TableMeta matter; an invalid one is an error matching
// ErrConfig.
func SchemaSQL(cfg Config) (string, error) {
	l, err := cfg.layout()
	if err != nil {
		return "", err
	}
	return strings.Join(schemaStatements(l), ";\n") + ";\n", nil
}

// schemaStatements returns the DDL of l's tables. Names are quoted;
// nothing else varies.
func schemaStatements(l sqlstore.Layout) []string {
	s, m := l.Sessions.Quoted(dialect), l.Meta.Quoted(dialect)
	expIdx := dialect.QuoteIdent(objectName(l.Sessions.Name(), "exp", "idx"))
	if l.Mode == sqlstore.LuaTables {
		// lua-resty-session's README, table names substituted.
		return []string{
			"CREATE TABLE IF NOT EXISTS " + s + " (sid TEXT PRIMARY KEY, name TEXT, data TEXT, exp TIMESTAMP WITH TIME ZONE)",
			"CREATE INDEX IF NOT EXISTS " + expIdx + " ON " + s + " (exp)",
			"CREATE TABLE IF NOT EXISTS " + m + " (aud TEXT, sub TEXT, sid TEXT REFERENCES " + s +
				" (sid) ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY (aud, sub, sid))",
		}
	}
	// The index table's foreign key cascades a session's deletion (by
	// Delete or the sweeper) to its index rows; the (name, sid) index
	// makes that cascade a lookup rather than a scan.
	return []string{
		"CREATE TABLE IF NOT EXISTS " + s + " (name TEXT NOT NULL, sid TEXT NOT NULL, data BYTEA NOT NULL," +
			" exp TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (name, sid))",
		"CREATE INDEX IF NOT EXISTS " + expIdx + " ON " + s + " (exp)",
		"CREATE TABLE IF NOT EXISTS " + m + " (name TEXT NOT NULL, aud TEXT NOT NULL, sub TEXT NOT NULL, sid TEXT NOT NULL," +
			" PRIMARY KEY (name, aud, sub, sid)," +
			" FOREIGN KEY (name, sid) REFERENCES " + s + " (name, sid) ON DELETE CASCADE ON UPDATE CASCADE)",
		"CREATE INDEX IF NOT EXISTS " + dialect.QuoteIdent(objectName(l.Meta.Name(), "name_sid", "idx")) + " ON " + m + " (name, sid)",
	}
}

// objectName is PostgreSQL's makeObjectName: name1_name2_label within
// NAMEDATALEN-1 bytes, the longer name shortened first (at a character
// boundary). It is the name the server gives an unnamed index, so a
// lua-resty-session table's "CREATE INDEX ON sessions (exp)" is
// "sessions_exp_idx".
func objectName(name1, name2, label string) string {
	avail := maxIdentLen - (1 + len(label) + 1)
	n1, n2 := len(name1), len(name2)
	for n1+n2 > avail {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	return clip(name1, n1) + "_" + clip(name2, n2) + "_" + label
}

// clip returns the longest prefix of s of at most n bytes that ends at a
// character boundary.
func clip(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
