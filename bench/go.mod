module github.com/sessionstore/sessionstore/bench

go 1.26.0

replace github.com/sessionstore/sessionstore => ../

require (
	github.com/alexedwards/scs/goredisstore v0.0.0-20250212122300-421ef1d8611c // redisbench: scs's go-redis store, a peer
	github.com/alexedwards/scs/redisstore v0.0.0-20251002162104-209de6e426de // redisbench: scs's redigo store, a peer
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c
	github.com/gofiber/storage/memory/v2 v2.1.2
	github.com/gofiber/storage/redis/v3 v3.4.3 // redisbench: gofiber/storage's Redis store, a peer
	github.com/gomodule/redigo v1.9.3 // redisbench: the pool scs's redisstore takes
	github.com/philippgille/gokv/memcached v0.7.0
	github.com/redis/go-redis/v9 v9.23.0 // redisbench: raw go-redis, the floor, and the client of two peers
	github.com/sessionstore/sessionstore v0.0.0-00010101000000-000000000000
	github.com/sessionstore/sessionstore/drivers/memcached v0.0.0-00010101000000-000000000000
	github.com/sessionstore/sessionstore/drivers/redis v0.0.0-00010101000000-000000000000 // redisbench: the driver under test
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
	github.com/philippgille/gokv/encoding v0.7.0 // indirect
	github.com/philippgille/gokv/util v0.7.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/sessionstore/sessionstore/drivers/memcached => ../drivers/memcached

replace github.com/sessionstore/sessionstore/drivers/redis => ../drivers/redis

replace github.com/sessionstore/sessionstore/internal/containertest => ../internal/containertest
