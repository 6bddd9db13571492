package driver_test

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionstore/sessionstore/session/driver"
)

// TestNaming is the table of lua-resty-session's get_name (reference §1.1)
// with contract v2's encoding: the audience takes the key's place, both
// audience and subject base64url-encoded.
func TestNaming(t *testing.T) {
	const name, key, aud, sub = "session", "K", "aud", "sub" // aud → YXVk, sub → c3Vi
	tests := []struct {
		prefix, suffix string
		index          bool
		want           string
	}{
		{"prefix", "suffix", true, "prefix:session:YXVk:c3Vi:suffix"},
		{"prefix", "suffix", false, "prefix:session:K:suffix"},
		{"prefix", "", true, "prefix:session:YXVk:c3Vi"},
		{"", "suffix", true, "session:YXVk:c3Vi:suffix"},
		{"prefix", "", false, "prefix:session:K"},
		{"", "suffix", false, "session:K:suffix"},
		{"", "", true, "session:YXVk:c3Vi"},
		{"", "", false, "session:K"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			n := driver.Naming{Prefix: tt.prefix, Suffix: tt.suffix}
			var got string
			var appended []byte
			if tt.index {
				got = n.IndexItem(name, aud, sub)
				appended = n.AppendIndexItem([]byte("dst|"), name, aud, sub)
			} else {
				got = n.SessionItem(name, key)
				appended = n.AppendSessionItem([]byte("dst|"), name, key)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, "dst|"+tt.want, string(appended), "Append* appends to dst")
		})
	}
}

func TestNamingLuaVector(t *testing.T) {
	// lua-resty-session's own example: audience "default", subject "john".
	assert.Equal(t, "session:ZGVmYXVsdA:am9obg", driver.Naming{}.IndexItem("session", "default", "john"))
	n := driver.Naming{Prefix: "sessions"}
	assert.Equal(t, "sessions:test_name:Zm9v:am9obg", n.IndexItem("test_name", "foo", "john"))
	assert.Equal(t, "ZGVmYXVsdA", n.Audience("default"))
	assert.Equal(t, "am9obg", n.Subject("john"))
}

func TestNamingHashSubject(t *testing.T) {
	n := driver.Naming{HashSubject: true}
	sum := sha256.Sum256([]byte("john"))
	want := base64.RawURLEncoding.EncodeToString(sum[:16])
	assert.Len(t, want, 22)
	assert.Equal(t, want, n.Subject("john"))
	assert.Equal(t, "session:ZGVmYXVsdA:"+want, n.IndexItem("session", "default", "john"))
	assert.NotContains(t, n.IndexItem("session", "default", "john"), "am9obg", "the subject never reaches the store in clear")
	assert.Equal(t, "ZGVmYXVsdA", n.Audience("default"), "the audience is not hashed")
}

func TestNamingEmptyPrefixMeansNone(t *testing.T) {
	// Lua turns prefix="" into a leading ':'; the contract does not port it.
	n := driver.Naming{}
	assert.Equal(t, "session:K", n.SessionItem("session", "K"))
	assert.False(t, strings.HasPrefix(n.IndexItem("session", "a", "s"), ":"))
}

// TestNamingNeverCollides is contract 2.20 on the inputs that collided in
// version 1: with ':' refused in names and keys, and audience and subject
// encoded, no two distinct inputs share an item.
func TestNamingNeverCollides(t *testing.T) {
	n := driver.Naming{}
	// A session key cannot be alice's index: "default:alice" is refused as a
	// key (CheckGet), and the index is named with encoded parts anyway.
	assert.NotEqual(t, n.SessionItem("session", "default:alice"), n.IndexItem("session", "default", "alice"))
	// Pairs that joined raw into one name are two indexes.
	assert.NotEqual(t, n.IndexItem("session", "a:b", "c"), n.IndexItem("session", "a", "b:c"))
	assert.NotEqual(t, n.IndexItem("session", "ab", "c"), n.IndexItem("session", "a", "bc"))
	// Encoded parts never hold the separator.
	for _, s := range []string{"a:b", ":::", "\x00\xff", "ünï;cødé"} {
		assert.NotContains(t, n.Audience(s), ":")
		assert.NotContains(t, n.Subject(s), ":")
		assert.NotContains(t, driver.Naming{HashSubject: true}.Subject(s), ":")
	}
}

func TestNamingAllocatesOnlyTheName(t *testing.T) {
	n := driver.Naming{Prefix: "sessions", Suffix: "v2", HashSubject: true}
	key := strings.Repeat("K", 43)
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { _ = n.SessionItem("session", key) }))
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { _ = n.IndexItem("session", "default", "john") }))
	long := strings.Repeat("L", 400)
	assert.Equal(t, "sessions:session:"+long+":v2", n.SessionItem("session", long), "a name longer than the stack buffer is whole")
}
