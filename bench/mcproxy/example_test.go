package mcproxy_test

import (
	"fmt"
	"os"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/sessionstore/sessionstore/bench/mcproxy"
)

// Count the round trips of one gomemcache Set. Needs a memcached at
// $SESSIONSTORE_BENCH_MEMCACHED, so it has no checked output.
func Example() {
	p, err := mcproxy.Start(os.Getenv("SESSIONSTORE_BENCH_MEMCACHED"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	c := memcache.New(p.Addr())
	before := p.Snapshot()
	err = c.Set(&memcache.Item{Key: "k", Value: []byte("v")})
	d := p.Snapshot().Sub(before)
	fmt.Println(err, d.RoundTrips, d.Commands["set"]) // <nil> 1 1
}
