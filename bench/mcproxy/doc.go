// Package mcproxy is a loopback TCP proxy for the memcached text protocol
// that counts what passes through it: commands by verb, and round trips
// (each time a client starts sending after the server has answered, or on
// a fresh connection). The benchmarks use it to count the round trips each
// storage operation costs; clients need no change beyond the address.
//
//	p, err := mcproxy.Start("127.0.0.1:11211")
//	// point the client at p.Addr(), run an operation, then:
//	before := p.Snapshot()
//	… operation …
//	d := p.Snapshot().Sub(before) // d.RoundTrips, d.Commands["set"]
package mcproxy
