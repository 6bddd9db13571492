package sqlstore

import (
	"strconv"
	"unicode/utf8"

	"github.com/sessionstore/sessionstore/session/driver"
)

// Charset is what a column can hold, byte for byte.
type Charset int

// The kinds of column a driver checks arguments against.
const (
	// Binary holds any bytes (BYTEA, VARBINARY, BLOB).
	Binary Charset = iota
	// Text holds valid UTF-8 without NUL bytes (PostgreSQL's TEXT; see
	// CheckText).
	Text
	// ASCII holds bytes below 0x80 (a column in MySQL's ascii character
	// set, as lua-resty-session's MySQL tables are).
	ASCII
	// Token holds printable ASCII without spaces, 0x21 to 0x7E: a CHAR
	// column, which pads with spaces and ignores trailing ones in
	// comparisons, then keeps every such key apart (lua-resty-session's
	// MySQL sid CHAR(43)).
	Token
)

// reason is the rule the charset imposes, as errors state it.
func (c Charset) reason() string {
	switch c {
	case Text:
		return textReason
	case ASCII:
		return "must be ASCII (it is stored in a column of the ascii character set)"
	case Token:
		return "must be printable ASCII without spaces (it is stored in a CHAR column of the ascii character set)"
	}
	return ""
}

// holds reports whether a column of charset c stores s as written.
func holds[T string | []byte](c Charset, s T) bool {
	switch c {
	case Text:
		return utf8Valid(s) && !hasNUL(s)
	case ASCII:
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return false
			}
		}
	case Token:
		for i := 0; i < len(s); i++ {
			if s[i] < 0x21 || s[i] > 0x7e {
				return false
			}
		}
	}
	return true
}

func utf8Valid[T string | []byte](s T) bool {
	switch v := any(s).(type) {
	case string:
		return utf8.ValidString(v)
	case []byte:
		return utf8.Valid(v)
	}
	return false
}

func hasNUL[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// Check reports s as an invalid argument named arg unless a column of
// charset c stores it as written. The error names the argument and the
// rule, never the bytes.
func (c Charset) Check(arg, s string) error {
	if !holds(c, s) {
		return driver.Invalid(arg, c.reason())
	}
	return nil
}

// CheckBytes is Check for a []byte argument (a value).
func (c Charset) CheckBytes(arg string, v []byte) error {
	if !holds(c, v) {
		return driver.Invalid(arg, c.reason())
	}
	return nil
}

// Columns describes what a layout's columns hold, so that a driver checks
// every argument before sending it: one that a column could not hold
// whole is refused with an error naming the argument and the limit,
// nothing written, never truncated or mangled by the server.
type Columns struct {
	// Name, Key and Value are the charsets of the name, sid and data
	// columns (a rotated-away key is a key).
	Name, Key, Value Charset
	// MaxName and MaxKey bound a name and a key in bytes.
	MaxName, MaxKey int
	// MaxPair bounds an audience or a subject before base64url encoding
	// (the aud and sub columns hold the encoding, 4/3 as long).
	MaxPair int
}

// CheckNameKey checks a name and a key of Get or Delete (a Set checks more
// with CheckSet). Only the charsets: a key longer than a column never was
// stored, so Get and Delete of it simply find nothing.
func (c Columns) CheckNameKey(name, key string) error {
	if err := c.Name.Check("name", name); err != nil {
		return err
	}
	return c.Key.Check("key", key)
}

// CheckSet checks everything a Set writes into the columns: name, key,
// rotated-away key, value and pairs, their charsets and lengths. With
// hashSubject the stored subject is a hash of fixed length, so the
// subject's own length does not matter.
func (c Columns) CheckSet(p *driver.SetPlan, hashSubject bool) error {
	if err := c.CheckNameKey(p.Name, p.Key); err != nil {
		return err
	}
	if p.Rotation.Key != "" {
		if err := c.Key.Check("opts.OldKey", p.Rotation.Key); err != nil {
			return err
		}
	}
	if err := c.Value.CheckBytes("value", p.Value); err != nil {
		return err
	}
	if err := CheckLen("name", p.Name, c.MaxName); err != nil {
		return err
	}
	if err := CheckLen("key", p.Key, c.MaxKey); err != nil {
		return err
	}
	for i, pair := range p.Metadata {
		if err := CheckLen("metadata["+strconv.Itoa(i)+"].Audience", pair.Audience, c.MaxPair); err != nil {
			return err
		}
		if hashSubject {
			continue
		}
		if err := CheckLen("metadata["+strconv.Itoa(i)+"].Subject", pair.Subject, c.MaxPair); err != nil {
			return err
		}
	}
	return nil
}
