package driver_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sessionstore/sessionstore/session/driver"
)

func Example_indexCodec() {
	k1 := strings.Repeat("A", 43) // lua-resty-session keys are 43 characters
	k2 := strings.Repeat("B", 43)

	// What a Set with metadata appends, then a rotation from k1 to k2.
	var item []byte
	item = driver.AppendIndexEntry(item, k1, 1700003600)
	item = driver.AppendIndexEntry(item, k2, 1700007200)
	item = driver.AppendIndexTombstone(item, k1)
	fmt.Println(len(item), "bytes")

	live, err := driver.LiveIndex(item, 1700000000)
	fmt.Println(len(live), live[k2], err)

	// Compact: one entry per live key; the largest expiry is the item's TTL.
	compact, maxExp := driver.AppendLiveIndex(nil, live)
	fmt.Println(len(compact), "bytes, until", maxExp)
	// Output:
	// 148 bytes
	// 1 1700007200 <nil>
	// 52 bytes, until 1700007200
}

func ExampleAppendIndexExpiry() {
	// The vector of lua-resty-session's format: 5 bytes little-endian, base64url.
	fmt.Println(string(driver.AppendIndexExpiry(nil, 1700003600)))
	exp, err := driver.DecodeIndexExpiry([]byte("APFTZQA"))
	fmt.Println(exp, err)
	// Output:
	// EP9TZQA
	// 1700000000 <nil>
}

func ExampleLiveIndex() {
	item := []byte("laptop:EP9TZQA;phone:APFTZQA;tablet:EP9TZQA;tablet;")
	live, err := driver.LiveIndex(item, 1700000000)
	for _, key := range slices.Sorted(maps.Keys(live)) {
		fmt.Println(key, live[key])
	}
	fmt.Println(err)

	// A torn write hides nothing that was written before or after it.
	live, err = driver.LiveIndex([]byte("laptop:EP9TZQA;phone:EP9T~~~;tablet:EP9TZQA;"), 1700000000)
	fmt.Println(len(live), err)
	// Output:
	// laptop 1700003600
	// <nil>
	// 2 session: corrupt index: 14 unreadable bytes from byte 15 of 44
}

func ExampleScanIndex() {
	item := []byte("k1:EP9TZQA;k1;")
	_ = driver.ScanIndex(item, func(key []byte, exp int64) {
		fmt.Printf("%s %d\n", key, exp)
	})
	// Output:
	// k1 1700003600
	// k1 0
}
