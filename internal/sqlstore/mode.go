package sqlstore

import "strconv"

// Mode is the table layout a SQL driver uses.
type Mode int

const (
	// OwnTables is the drivers' own layout, which keeps every rule of the
	// storage contract: sessions keyed by (name, sid) with the value in a
	// binary column, the index keyed by (name, aud, sub, sid), so the same
	// key under two cookie names is two sessions and indexes are per name.
	OwnTables Mode = iota
	// LuaTables is lua-resty-session's layout, shared with OpenResty
	// services: sessions keyed by sid alone (name is stored but not looked
	// at, as Lua does), data in a TEXT column, and an index table without a
	// cookie name. Rule 2.9 cannot hold there (NamesShareKeys), and values
	// must be text (TextValues).
	LuaTables
)

// Valid reports whether m is one of the modes above.
func (m Mode) Valid() bool { return m == OwnTables || m == LuaTables }

// String names the mode as the drivers' docs do.
func (m Mode) String() string {
	switch m {
	case OwnTables:
		return "own tables"
	case LuaTables:
		return "lua-resty-session tables"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// NamesShareKeys reports whether sessions and indexes are kept apart by
// cookie name only in name: true for LuaTables, whose sessions table is
// keyed by sid and whose index table has no name column (the conformance
// capability of the same name).
func (m Mode) NamesShareKeys() bool { return m == LuaTables }

// TextValues reports whether values live in a TEXT column, so that a value
// that is not valid text must be refused (CheckText): true for LuaTables.
func (m Mode) TextValues() bool { return m == LuaTables }
