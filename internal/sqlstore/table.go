package sqlstore

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrTableName reports a table name that cannot be used. Drivers wrap it in
// their configuration error.
var ErrTableName = errors.New("invalid table name")

// maxTableParts allows database.schema.table, the most a name can qualify.
const maxTableParts = 3

// DefaultTable is lua-resty-session's default table name.
const DefaultTable = "sessions"

// Table is a checked table name: one to three identifier parts
// ("sessions", "app.sessions", "db.app.sessions"), each kept as written.
// Its parts reach SQL only through Dialect.QuoteIdent, so a name holding
// quotes, spaces or other metacharacters names a table and nothing else.
// The zero Table is invalid.
type Table struct {
	parts []string
}

// ParseTable checks name (arg names the configuration field, for errors)
// and splits it at dots into its parts, as lua-resty-session writes
// schema-qualified names ("app.sessions"). Every part must be non-empty,
// valid UTF-8 without NUL bytes, and no longer than the dialect allows:
// servers silently truncate longer identifiers, which could make two
// configured names one table. A part cannot itself contain a dot.
//
// Parts are kept as written and quoted, so they are case-sensitive: a
// lua-resty-session service, which splices the name into its SQL unquoted,
// reaches the same table only with a lower-case name (PostgreSQL folds
// unquoted names to lower case).
func ParseTable(d Dialect, arg, name string) (Table, error) {
	if name == "" {
		return Table{}, fmt.Errorf("%w: %s must not be empty", ErrTableName, arg)
	}
	parts := strings.Split(name, ".")
	if len(parts) > maxTableParts {
		return Table{}, fmt.Errorf("%w: %s %q has more than %d dot-separated parts", ErrTableName, arg, name, maxTableParts)
	}
	for _, p := range parts {
		if err := checkIdent(d, p); err != nil {
			return Table{}, fmt.Errorf("%w: %s %q: %s", ErrTableName, arg, name, err)
		}
	}
	return Table{parts: parts}, nil
}

func checkIdent(d Dialect, p string) error {
	switch {
	case p == "":
		return errors.New("empty part (leading, trailing or double dot)")
	case !utf8.ValidString(p):
		return errors.New("not valid UTF-8")
	case strings.IndexByte(p, 0) >= 0:
		return errors.New("contains a NUL byte")
	}
	n, unit := len(p), "bytes"
	if d.IdentLenInChars {
		n, unit = utf8.RuneCountInString(p), "characters"
	}
	if d.MaxIdentLen > 0 && n > d.MaxIdentLen {
		return fmt.Errorf("a part is %d %s, longer than the server's %d", n, unit, d.MaxIdentLen)
	}
	return nil
}

// IsZero reports whether t is the zero Table (no name).
func (t Table) IsZero() bool { return len(t.parts) == 0 }

// Parts returns the name's parts, schema first; the caller may not modify
// them.
func (t Table) Parts() []string { return t.parts }

// Name returns the last part: the table's own name without its schema.
func (t Table) Name() string {
	if len(t.parts) == 0 {
		return ""
	}
	return t.parts[len(t.parts)-1]
}

// String returns the name as configured (parts joined by dots, unquoted),
// for messages.
func (t Table) String() string { return strings.Join(t.parts, ".") }

// Quoted returns the name as SQL: each part quoted by the dialect, joined
// by dots.
func (t Table) Quoted(d Dialect) string {
	var b strings.Builder
	for i, p := range t.parts {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(d.QuoteIdent(p))
	}
	return b.String()
}

// Sibling returns a table in the same schema whose own name is name:
// "app.sessions" and "sessions_exp_idx" give "app.sessions_exp_idx" (an
// index or constraint lives in its table's schema).
func (t Table) Sibling(name string) Table {
	parts := append(append([]string(nil), t.parts[:len(t.parts)-1]...), name)
	return Table{parts: parts}
}

// DefaultMetaTable is lua-resty-session's default index table name for
// table: table.."_meta", so "app.sessions" gives "app.sessions_meta".
func DefaultMetaTable(table string) string { return table + "_meta" }
