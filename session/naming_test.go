package session_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionstore/sessionstore/session"
)

// TestNaming is the table of lua-resty-session's get_name (reference §1.1):
// the subject column is an index key, where the audience takes the key's
// place.
func TestNaming(t *testing.T) {
	const name, key, aud, sub = "session", "K", "aud", "sub"
	tests := []struct {
		prefix, suffix string
		subject        bool
		want           string
	}{
		{"prefix", "suffix", true, "prefix:session:aud:sub:suffix"},
		{"prefix", "suffix", false, "prefix:session:K:suffix"},
		{"prefix", "", true, "prefix:session:aud:sub"},
		{"", "suffix", true, "session:aud:sub:suffix"},
		{"prefix", "", false, "prefix:session:K"},
		{"", "suffix", false, "session:K:suffix"},
		{"", "", true, "session:aud:sub"},
		{"", "", false, "session:K"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			n := session.Naming{Prefix: tt.prefix, Suffix: tt.suffix}
			var got string
			var appended []byte
			if tt.subject {
				got = n.IndexKey(name, aud, sub)
				appended = n.AppendIndexKey([]byte("dst|"), name, aud, sub)
			} else {
				got = n.SessionKey(name, key)
				appended = n.AppendSessionKey([]byte("dst|"), name, key)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, "dst|"+tt.want, string(appended), "Append* appends to dst")
		})
	}
}

func TestNamingEmptyPrefixMeansNone(t *testing.T) {
	// Lua turns prefix="" into a leading ':'; the contract does not port it.
	n := session.Naming{}
	assert.Equal(t, "session:K", n.SessionKey("session", "K"))
	assert.False(t, strings.HasPrefix(n.IndexKey("session", "a", "s"), ":"))
	assert.Equal(t, session.Naming{Prefix: "", Suffix: ""}.SessionKey("n", "k"), "n:k")
}

func TestNamingLuaTestVectors(t *testing.T) {
	// The names lua-resty-session's own specs expect (reference §1.1).
	n := session.Naming{Prefix: "sessions"}
	assert.Equal(t, "sessions:test_name:foo:john", n.IndexKey("test_name", "foo", "john"))
	// session.lua's default metadata key for audience "default", subject "john".
	assert.Equal(t, "session:ZGVmYXVsdA:am9obg", session.Naming{}.IndexKey("session", "ZGVmYXVsdA", "am9obg"))
}

func TestNamingDoesNotEscape(t *testing.T) {
	// Parts are joined, not escaped: the ambiguity is Lua's, kept on purpose
	// (reference case 31); the memcached driver escapes the whole result.
	n := session.Naming{}
	assert.Equal(t, n.SessionKey("a:b", "c"), n.SessionKey("a", "b:c"))
	assert.Equal(t, "n:k y\x00", n.SessionKey("n", "k y\x00"))
}
