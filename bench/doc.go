// Package bench compares sessionstore's drivers with the Go libraries people
// choose between: alexedwards/scs (memstore), gofiber/storage (memory),
// philippgille/gokv (memcached), and with two floors: a plain map that
// copies values ("mapcopy", the least a copying memory store can do) and
// plain bradfitz/gomemcache.
//
// It is a separate Go module so that the library itself never depends on
// its peers. Everything lives in testing.B benchmarks and three small tools:
//
//   - cmd/benchtable reads `go test -bench` output and prints the median of
//     every metric per benchmark as a markdown table;
//   - cmd/memsize measures the heap bytes each memory store keeps per live
//     session;
//   - cmd/roundtrips counts the memcached commands and round trips each
//     operation of the memcached driver sends, through a counting proxy.
//
// One script runs it all on loopback and writes bench/results/:
//
//	cd bench && ./run.sh
//
// The memcached benchmarks need a server; they read its address from
// SESSIONSTORE_BENCH_MEMCACHED ("127.0.0.1:port") and skip when it is unset.
// run.sh starts /usr/bin/memcached on a free loopback port for them.
package bench
