// Package redisbench compares the Redis session driver (drivers/redis) with raw
// go-redis, the floor any driver built on it can reach, and with the Redis session
// stores Go users use today: alexedwards/scs's redisstore (redigo) and goredisstore
// (go-redis), and gofiber/storage's redis (go-redis). Every store talks to the same
// loopback redis-server with the same pool size.
//
// BenchmarkRedis runs the shared workload of the bench module (Set, Get, and a 90/10
// Get/Set mix over 10k and 1M live sessions of 1 KiB, 43-character keys) per store;
// BenchmarkRedisOurs the operations only our driver has (a rotation with one index pair
// beside lua-resty-session's commands for it, ReadMetadata, Delete with metadata), with
// the round trips each costs as trips/op. Every benchmark also reports cpu-ns/op, the
// client's CPU time per operation, which a shared machine disturbs far less than wall
// time.
//
// The benchmarks read the server's address from SESSIONSTORE_BENCH_REDIS and skip when
// it is unset; run.sh starts /usr/bin/redis-server on a free loopback port, runs the
// rounds interleaved, and writes bench/results/redis-<stamp>.{txt,md}:
//
//	cd bench/redisbench && ./run.sh
//
// It is a package of its own so that it builds and runs without the other drivers.
package redisbench
