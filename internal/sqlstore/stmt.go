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
	ArgAudience            // one encoded audience, or a list of them
	ArgSubject             // one encoded subject, or a list of them
	ArgLimit               // a batch size (an integer)
	NumArgs                // how many Args there are
)

// Values holds one value per Arg for Stmt.Bind.
type Values [NumArgs]any

// Stmt is a rendered statement: its SQL text and, in order, the Arg of
// each parameter.
type Stmt struct {
	SQL  string
	Args []Arg
}

// Bind returns the parameters of s taken from v, in placeholder order.
func (s Stmt) Bind(v *Values) []any {
	out := make([]any, len(s.Args))
	for i, a := range s.Args {
		out[i] = v[a]
	}
	return out
}

// Builder writes one statement for a dialect. SQL text goes in through S
// (constant text only, never a value), table names through Table, values
// only as placeholders through P.
type Builder struct {
	d    Dialect
	sb   strings.Builder
	args []Arg
	pos  [NumArgs]int // 1-based placeholder number of each Arg (numbered params)
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
	if b.d.NumberedParams {
		if b.pos[a] == 0 {
			b.args = append(b.args, a)
			b.pos[a] = len(b.args)
		}
		b.sb.WriteString(b.d.Placeholder(b.pos[a]))
		return b
	}
	b.args = append(b.args, a)
	b.sb.WriteString(b.d.Placeholder(len(b.args)))
	return b
}

// Stmt returns what was written.
func (b *Builder) Stmt() Stmt {
	return Stmt{SQL: b.sb.String(), Args: append([]Arg(nil), b.args...)}
}
