package sqlstore

import (
	"strings"
)

// Dialect is what differs between servers in the SQL this package writes.
type Dialect struct {
	// Name names the dialect in messages ("postgresql", "mysql").
	Name string
	// QuoteIdent quotes one identifier part so that the server reads it as
	// that name whatever it holds (PostgreSQL: pgx.Identifier's doubled
	// double quotes; MySQL: doubled backticks). ParseTable has already
	// refused NUL bytes and invalid UTF-8.
	QuoteIdent func(part string) string
	// Placeholder returns the placeholder of the n-th parameter, counting
	// from 1: "$1" in PostgreSQL, "?" in MySQL.
	Placeholder func(n int) string
	// NumberedParams says that one placeholder can stand for its parameter
	// wherever it appears (PostgreSQL's $n). Without it each occurrence is
	// a parameter of its own (MySQL's ?), and an argument used twice is
	// passed twice.
	NumberedParams bool
	// MaxIdentLen is the longest identifier part the server keeps whole
	// (PostgreSQL: 63 bytes; MySQL: 64 characters); 0 means no check.
	MaxIdentLen int
	// IdentLenInChars counts MaxIdentLen in characters instead of bytes.
	IdentLenInChars bool
	// CheckIdent, when set, refuses identifier parts the server would not
	// take as written (MySQL: no supplementary characters, no trailing
	// space), beyond the checks every dialect gets (ParseTable).
	CheckIdent func(part string) error
	// TimeArg, when set, wraps the placeholder of a time argument (ArgExp,
	// ArgNow, ArgStaleExp), and TimeColumn a time column read back: a
	// table whose exp is a DATETIME in the session's time zone, as
	// lua-resty-session's MySQL tables keep it, is written through
	// FROM_UNIXTIME(?) from Unix seconds and read through
	// UNIX_TIMESTAMP(exp), exactly as Lua does. Without them a time is a
	// plain parameter and a plain column.
	TimeArg    func(placeholder string) string
	TimeColumn func(column string) string
}

// Arg names a value a statement takes. Statements are written against
// these names; Stmt.Args says which value goes to which placeholder.
type Arg uint8

// The values of the operations.
const (
	ArgName     Arg = iota // cookie name (TEXT)
	ArgKey                 // session key, the sid column (TEXT)
	ArgValue               // session value ([]byte)
	ArgExp                 // the session's expiry (a time)
	ArgNow                 // the caller's now, or the clock's (a time)
	ArgOldKey              // the rotated-away key (TEXT)
	ArgStaleExp            // the end of the old key's grace period (a time)
	ArgAudience            // one encoded audience, or a list of them (see Builder.E)
	ArgSubject             // one encoded subject, or a list of them (see Builder.E)
	ArgLimit               // a batch size (an integer)
	NumArgs                // how many Args there are
)

// Values holds one value per Arg for Stmt.Bind. A list argument that a
// statement takes element by element (Builder.E) holds a []any.
type Values [NumArgs]any

// Stmt is a rendered statement: its SQL text and, in order, the Arg of
// each parameter.
type Stmt struct {
	SQL  string
	Args []Arg
	// Elems is nil, or for each parameter the element of its Arg's list it
	// takes (Builder.E), -1 for the whole value.
	Elems []int
}

// Bind returns the parameters of s taken from v, in placeholder order. An
// element placeholder whose list is shorter, or not a []any, binds NULL (a
// statement rendered for n pairs is only ever bound with n).
func (s Stmt) Bind(v *Values) []any {
	out := make([]any, len(s.Args))
	for i, a := range s.Args {
		if s.Elems == nil || s.Elems[i] < 0 {
			out[i] = v[a]
			continue
		}
		if list, ok := v[a].([]any); ok && s.Elems[i] < len(list) {
			out[i] = list[s.Elems[i]]
		}
	}
	return out
}

// Builder writes one statement for a dialect. SQL text goes in through S
// (constant text only, never a value), table names through Table, values
// only as placeholders through P.
type Builder struct {
	d     Dialect
	sb    strings.Builder
	args  []Arg
	elems []int        // per placeholder: the list element it takes, -1 for none
	pos   [NumArgs]int // 1-based placeholder number of each Arg (numbered params)
}

// NewBuilder returns an empty Builder for d.
func NewBuilder(d Dialect) *Builder { return &Builder{d: d} }

// Dialect returns the dialect b writes for.
func (b *Builder) Dialect() Dialect { return b.d }

// S appends constant SQL text.
func (b *Builder) S(sql string) *Builder {
	b.sb.WriteString(sql)
	return b
}

// Table appends t quoted.
func (b *Builder) Table(t Table) *Builder {
	b.sb.WriteString(t.Quoted(b.d))
	return b
}

// Ident appends one quoted identifier (an index or constraint name).
func (b *Builder) Ident(name string) *Builder {
	b.sb.WriteString(b.d.QuoteIdent(name))
	return b
}

// P appends the placeholder of a. With numbered parameters an Arg used
// again reuses its number.
func (b *Builder) P(a Arg) *Builder {
	b.sb.WriteString(b.placeholder(a))
	return b
}

func (b *Builder) placeholder(a Arg) string {
	if b.d.NumberedParams {
		if b.pos[a] == 0 {
			b.add(a, -1)
			b.pos[a] = len(b.args)
		}
		return b.d.Placeholder(b.pos[a])
	}
	b.add(a, -1)
	return b.d.Placeholder(len(b.args))
}

func (b *Builder) add(a Arg, elem int) {
	b.args = append(b.args, a)
	b.elems = append(b.elems, elem)
}

// T appends the placeholder of the time argument a, through the dialect's
// TimeArg.
func (b *Builder) T(a Arg) *Builder {
	p := b.placeholder(a)
	if b.d.TimeArg != nil {
		p = b.d.TimeArg(p)
	}
	b.sb.WriteString(p)
	return b
}

// TimeCol appends the time column col (constant text) as the statement
// reads it, through the dialect's TimeColumn.
func (b *Builder) TimeCol(col string) *Builder {
	if b.d.TimeColumn != nil {
		col = b.d.TimeColumn(col)
	}
	b.sb.WriteString(col)
	return b
}

// E appends a placeholder for element i of the list argument a (Values
// holds a []any for it): a server without array parameters (MySQL) takes
// n index pairs as n placeholders each, in a statement rendered for n.
// Every E is a parameter of its own, numbered or not.
func (b *Builder) E(a Arg, i int) *Builder {
	b.add(a, i)
	b.sb.WriteString(b.d.Placeholder(len(b.args)))
	return b
}

// Stmt returns what was written.
func (b *Builder) Stmt() Stmt {
	st := Stmt{SQL: b.sb.String(), Args: append([]Arg(nil), b.args...)}
	for _, e := range b.elems {
		if e >= 0 {
			st.Elems = append([]int(nil), b.elems...)
			break
		}
	}
	return st
}
