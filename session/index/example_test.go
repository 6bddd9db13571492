package index_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sessionstore/sessionstore/session/index"
)

func Example() {
	k1 := strings.Repeat("A", 43) // lua-resty-session keys are 43 characters
	k2 := strings.Repeat("B", 43)

	// What a Set with metadata appends, then a rotation from k1 to k2.
	var item []byte
	item = index.AppendEntry(item, k1, 1700003600)
	item = index.AppendEntry(item, k2, 1700007200)
	item = index.AppendTombstone(item, k1)
	fmt.Println(len(item), "bytes")

	live, err := index.Live(item, 1700000000)
	fmt.Println(len(live), live[k2], err)

	// Compact: one entry per live key; the largest expiry is the item's TTL.
	compact, maxExp := index.AppendLive(nil, live)
	fmt.Println(len(compact), "bytes, until", maxExp)
	// Output:
	// 148 bytes
	// 1 1700007200 <nil>
	// 52 bytes, until 1700007200
}

func ExampleAppendExpiry() {
	// The vector of lua-resty-session's format: 5 bytes little-endian, base64url.
	fmt.Println(string(index.AppendExpiry(nil, 1700003600)))
	exp, err := index.DecodeExpiry([]byte("APFTZQA"))
	fmt.Println(exp, err)
	// Output:
	// EP9TZQA
	// 1700000000 <nil>
}

func ExampleLive() {
	item := []byte("laptop:EP9TZQA;phone:APFTZQA;tablet:EP9TZQA;tablet;")
	live, err := index.Live(item, 1700000000)
	for _, key := range slices.Sorted(maps.Keys(live)) {
		fmt.Println(key, live[key])
	}
	fmt.Println(err)

	_, err = index.Live([]byte("laptop:EP9T"), 1700000000)
	fmt.Println(err)
	// Output:
	// laptop 1700003600
	// <nil>
	// index: corrupt item: entry at byte 0 is truncated
}

func ExampleScan() {
	item := []byte("k1:EP9TZQA;k1;")
	_ = index.Scan(item, func(key []byte, exp int64) {
		fmt.Printf("%s %d\n", key, exp)
	})
	// Output:
	// k1 1700003600
	// k1 0
}
