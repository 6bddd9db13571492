package driver

import (
	"crypto/sha256"
	"encoding/base64"
)

// Naming names the items of key-value drivers (contract section 3), the way
// lua-resty-session names them, so that a Go and an OpenResty service that
// share a store find each other's sessions and indexes:
//
//	session item: [prefix:]name:key[:suffix]
//	index item:   [prefix:]name:A:S[:suffix]
//
// A and S are the audience and subject base64url-encoded (RFC 4648 section
// 5, no padding), as lua-resty-session's session layer encodes them before
// they reach its storage: audience "default" and subject "john" name the
// index "session:ZGVmYXVsdA:am9obg". With HashSubject, S is the base64url of
// the first 16 bytes of SHA-256(subject) (lua-resty-session's hash_subject),
// so user ids never reach the store in clear.
//
// Because name and key never contain ':' (the Check functions refuse it) and
// A and S never do, a session item, an index item and another pair's index
// item can never share a name, whatever bytes callers pass. Parts are not
// escaped beyond that; a driver whose wire needs it escapes the result
// (memcached escapes as ngx.escape_uri does). An empty Prefix or Suffix
// means none.
//
// SQL drivers store Audience(a) and Subject(s) in their aud and sub columns,
// as lua-resty-session does.
type Naming struct {
	Prefix      string
	Suffix      string
	HashSubject bool
}

// b64 is lua-resty-session's encode_base64url: URL alphabet, no padding.
var b64 = base64.RawURLEncoding

// SessionItem returns the name of the item of session (name, key).
func (n Naming) SessionItem(name, key string) string {
	var buf [itemBuf]byte // on the stack: the string is the one allocation
	return string(n.AppendSessionItem(buf[:0], name, key))
}

// itemBuf is the stack buffer names are built in; a longer name spills to
// the heap once more.
const itemBuf = 256

// AppendSessionItem appends SessionItem(name, key) to dst.
func (n Naming) AppendSessionItem(dst []byte, name, key string) []byte {
	dst = n.appendPrefix(dst)
	dst = append(dst, name...)
	dst = append(dst, ':')
	dst = append(dst, key...)
	return n.appendSuffix(dst)
}

// IndexItem returns the name of the index item of (name, audience,
// subject); audience and subject are the caller's plain strings.
func (n Naming) IndexItem(name, audience, subject string) string {
	var buf [itemBuf]byte
	return string(n.AppendIndexItem(buf[:0], name, audience, subject))
}

// AppendIndexItem appends IndexItem(name, audience, subject) to dst.
func (n Naming) AppendIndexItem(dst []byte, name, audience, subject string) []byte {
	dst = n.appendPrefix(dst)
	dst = append(dst, name...)
	dst = append(dst, ':')
	dst = n.AppendAudience(dst, audience)
	dst = append(dst, ':')
	dst = n.AppendSubject(dst, subject)
	return n.appendSuffix(dst)
}

// Audience returns audience as stored: base64url.
func (n Naming) Audience(audience string) string {
	return string(n.AppendAudience(nil, audience))
}

// AppendAudience appends Audience(audience) to dst.
func (n Naming) AppendAudience(dst []byte, audience string) []byte {
	return b64.AppendEncode(dst, []byte(audience))
}

// Subject returns subject as stored: base64url, of its hash with
// HashSubject.
func (n Naming) Subject(subject string) string {
	return string(n.AppendSubject(nil, subject))
}

// AppendSubject appends Subject(subject) to dst.
func (n Naming) AppendSubject(dst []byte, subject string) []byte {
	if n.HashSubject {
		sum := sha256.Sum256([]byte(subject))
		return b64.AppendEncode(dst, sum[:16])
	}
	return b64.AppendEncode(dst, []byte(subject))
}

func (n Naming) appendPrefix(dst []byte) []byte {
	if n.Prefix != "" {
		dst = append(dst, n.Prefix...)
		dst = append(dst, ':')
	}
	return dst
}

func (n Naming) appendSuffix(dst []byte) []byte {
	if n.Suffix != "" {
		dst = append(dst, ':')
		dst = append(dst, n.Suffix...)
	}
	return dst
}
