package sqlstore

// Rotation is what a Set does with the key it rotates away.
type Rotation int

// The rotations of a Set.
const (
	// RotateNone: no old key.
	RotateNone Rotation = iota
	// RotateShorten: the old key lives on for its grace period, never
	// longer than it would have.
	RotateShorten
	// RotateRemember: the old key is deleted at once.
	RotateRemember
	// NumRotations counts the rotations, for tables of statements.
	NumRotations
)

// SetDialect writes the parts of a Set whose syntax differs between
// servers; Layout.SetStmts writes the rest and decides the order.
type SetDialect struct {
	// Upsert appends, after the session's INSERT (WriteInsertSession), the
	// clause that replaces data and exp of a row already there
	// (PostgreSQL: ON CONFLICT … DO UPDATE; MySQL: ON DUPLICATE KEY
	// UPDATE).
	Upsert func(b *Builder, l Layout)
	// IndexRows appends what follows "INSERT INTO <index table> (<MetaCols>)
	// ": the new key's index rows, one per pair (PostgreSQL: a SELECT over
	// two unnested arrays; MySQL: a VALUES list of n rows).
	IndexRows func(b *Builder, l Layout)
	// IndexKeep is the clause after IndexRows that keeps a row already
	// there (the listed expiry is the session's own, so nothing needs
	// updating).
	IndexKeep string
	// Pairs appends this Set's (audience, subject) pairs as the right-hand
	// side of "(aud, sub) IN ".
	Pairs func(b *Builder)
}

// SetStmts returns the statements of a Set, in the order they must run in
// one transaction, each with a fresh READ COMMITTED snapshot:
//
//  1. the session's upsert, which takes its row lock;
//  2. with a rotation, the old session's update (LEAST: shortened, never
//     lengthened, and locked even when unchanged), or with Remember its
//     deletion (the foreign key's cascade takes its index rows);
//  3. with a rotation and metadata, the old key's removal from this Set's
//     pairs, only if the old session ends within its grace period
//     (WriteOldIsStale);
//  4. with metadata, the new key's index rows.
//
// Every statement that changes a key's index rows runs after one that
// holds that key's session row lock, so index and session change together
// under one lock: a concurrent Set, rotation or Delete of the same key is
// ordered before or after the whole Set, never between its parts, and a
// readable session is never left unlisted (contract 2.17).
func (l Layout) SetStmts(d Dialect, w SetDialect, rot Rotation, withMetadata bool) []Stmt {
	b := NewBuilder(d)
	l.WriteInsertSession(b)
	w.Upsert(b, l)
	out := []Stmt{b.Stmt()}
	switch rot {
	case RotateShorten:
		b = NewBuilder(d)
		l.WriteShorten(b)
		out = append(out, b.Stmt())
		if withMetadata {
			b = NewBuilder(d)
			l.WriteUnindexOld(b, w.Pairs)
			out = append(out, b.Stmt())
		}
	case RotateRemember:
		b = NewBuilder(d)
		l.WriteDelete(b, ArgOldKey)
		out = append(out, b.Stmt())
	}
	if withMetadata {
		b = NewBuilder(d)
		b.S("INSERT INTO ").Table(l.Meta).S(" (" + l.MetaCols() + ") ")
		w.IndexRows(b, l)
		b.S(w.IndexKeep)
		out = append(out, b.Stmt())
	}
	return out
}

// WriteUnindexOld writes the removal of the rotated-away key (ArgOldKey)
// from the indexes of the pairs that pairs writes (lua-resty-session leaves
// it listed until its grace period ends; contract 2.8 wants it gone at
// once), if its session ends within the grace period (WriteOldIsStale).
func (l Layout) WriteUnindexOld(b *Builder, pairs func(*Builder)) {
	b.S("DELETE FROM ").Table(l.Meta).S(" WHERE ")
	if l.Mode == OwnTables {
		b.S("name = ").P(ArgName).S(" AND ")
	}
	b.S("sid = ").P(ArgOldKey).S(" AND (aud, sub) IN ")
	pairs(b)
	b.S(" AND ")
	l.WriteOldIsStale(b)
}

// WriteIndexValues writes the VALUES list of n index rows of ArgKey, the
// i-th taking element i of ArgAudience and ArgSubject (and ArgName in
// OwnTables): a SetDialect.IndexRows for servers without array
// parameters.
func (l Layout) WriteIndexValues(b *Builder, n int) {
	b.S("VALUES ")
	for i := range n {
		if i > 0 {
			b.S(", ")
		}
		b.S("(")
		if l.Mode == OwnTables {
			b.P(ArgName).S(", ")
		}
		b.E(ArgAudience, i).S(", ").E(ArgSubject, i).S(", ").P(ArgKey).S(")")
	}
}

// WritePairList writes n (audience, subject) pairs as a parenthesised
// list of row constructors, "((?, ?), (?, ?))", the i-th taking element i
// of ArgAudience and ArgSubject: a SetDialect.Pairs for servers without
// array parameters.
func WritePairList(b *Builder, n int) {
	b.S("(")
	for i := range n {
		if i > 0 {
			b.S(", ")
		}
		b.S("(").E(ArgAudience, i).S(", ").E(ArgSubject, i).S(")")
	}
	b.S(")")
}
