package session

// Naming builds the storage keys that key-value drivers use (contract
// section 3), the same way lua-resty-session does:
//
//	session item: [prefix:]name:key[:suffix]
//	index item:   [prefix:]name:audience:subject[:suffix]
//
// Parts are joined with ':' and not escaped. An empty Prefix or Suffix means
// none. Drivers that must escape keys for their wire protocol (memcached)
// escape the result, not the parts.
//
// Because nothing is escaped, names can collide: the session key "a:s"
// names the same item as the index of (audience a, subject s), and the pairs
// ("a:b", "c") and ("a", "b:c") share one index. lua-resty-session avoids
// this by using only base64url session keys, audiences and subjects; a
// caller of a key-value driver should do the same, and never pass a key it
// has not checked (such as a raw cookie value) to Get.
type Naming struct {
	Prefix string
	Suffix string
}

// SessionKey returns the storage key of the session (name, key).
func (n Naming) SessionKey(name, key string) string {
	return string(n.AppendSessionKey(make([]byte, 0, n.size(len(name)+1+len(key))), name, key))
}

// IndexKey returns the storage key of the index of (name, audience, subject).
func (n Naming) IndexKey(name, audience, subject string) string {
	return string(n.AppendIndexKey(make([]byte, 0, n.size(len(name)+len(audience)+len(subject)+2)), name, audience, subject))
}

// AppendSessionKey appends SessionKey(name, key) to dst.
func (n Naming) AppendSessionKey(dst []byte, name, key string) []byte {
	dst = n.appendPrefix(dst)
	dst = append(dst, name...)
	dst = append(dst, ':')
	dst = append(dst, key...)
	return n.appendSuffix(dst)
}

// AppendIndexKey appends IndexKey(name, audience, subject) to dst.
func (n Naming) AppendIndexKey(dst []byte, name, audience, subject string) []byte {
	dst = n.appendPrefix(dst)
	dst = append(dst, name...)
	dst = append(dst, ':')
	dst = append(dst, audience...)
	dst = append(dst, ':')
	dst = append(dst, subject...)
	return n.appendSuffix(dst)
}

func (n Naming) size(body int) int {
	s := body
	if n.Prefix != "" {
		s += len(n.Prefix) + 1
	}
	if n.Suffix != "" {
		s += len(n.Suffix) + 1
	}
	return s
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
