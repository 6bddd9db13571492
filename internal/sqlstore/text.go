package sqlstore

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/sessionstore/sessionstore/session/driver"
)

// textReason is the rule a TEXT column imposes, as errors state it.
const textReason = "must be valid UTF-8 without NUL bytes (it is stored in a TEXT column)"

// CheckText reports v as an invalid argument named arg unless a TEXT
// column can hold it: valid UTF-8 and no NUL byte (PostgreSQL's text types
// refuse both; MySQL's would mangle them). Drivers check before sending, so
// that nothing is written and the error names the argument, never its
// bytes.
func CheckText(arg string, v []byte) error {
	if !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0 {
		return driver.Invalid(arg, textReason)
	}
	return nil
}

// CheckTextString is CheckText for a string argument (a cookie name, a
// session key).
func CheckTextString(arg, s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return driver.Invalid(arg, textReason)
	}
	return nil
}

// CheckLen reports s as over the limit (an error matching
// session.ErrTooLarge that names arg and the limit) when it is longer than
// limit bytes. SQL drivers bound what goes into an index key: a B-tree
// refuses entries over a fraction of a page, and a refusal the driver
// could have foreseen must not reach the server.
func CheckLen(arg, s string, limit int) error {
	if len(s) > limit {
		return driver.TooLarge(arg, limit)
	}
	return nil
}
