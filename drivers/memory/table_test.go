package memory

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzItemRecord guards the unsafe record of table.go: whatever the key and
// value lengths (around the varint boundaries 127/128 and 16383/16384
// included), an item gives back exactly its key and value, a record is
// reused only for the same lengths, and reading never goes past the bytes
// it owns (run with -race, which turns on checkptr).
func FuzzItemRecord(f *testing.F) {
	for _, n := range []int{0, 1, 43, 127, 128, 300, 16383, 16384} {
		f.Add(strings.Repeat("k", min(n, 300)), n, n/2)
	}
	f.Fuzz(func(t *testing.T, key string, vlen, vlen2 int) {
		vlen, vlen2 = clampLen(vlen), clampLen(vlen2)
		v := copyValue(bytes.Repeat([]byte{0xa5}, vlen))
		it := newItem(key, v, 42, nil)
		check := func(it item, v []byte) {
			if it.key() != key {
				t.Fatalf("key of %d bytes read back as %d bytes", len(key), len(it.key()))
			}
			if !bytes.Equal(it.value(), v) {
				t.Fatalf("value of %d bytes read back as %d bytes", len(v), len(it.value()))
			}
		}
		check(it, v)

		v2 := copyValue(bytes.Repeat([]byte{0x5a}, vlen2))
		again := newItem(key, v2, 43, it.rec)
		check(again, v2)
		if (again.rec == it.rec) != (vlen == vlen2) {
			t.Fatalf("record reuse for value lengths %d then %d: reused=%v", vlen, vlen2, again.rec == it.rec)
		}
		check(it, v) // the first item is untouched by the second
	})
}

func clampLen(n int) int { return min(max(n, 0), 1<<15) }
