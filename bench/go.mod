module github.com/sessionstore/sessionstore/bench

go 1.26.0

replace github.com/sessionstore/sessionstore => ../

require (
	github.com/alexedwards/scs/goredisstore v0.0.0-20250212122300-421ef1d8611c // peer (redisbench): scs goredisstore
	github.com/alexedwards/scs/redisstore v0.0.0-20251002162104-209de6e426de // peer (redisbench): scs redisstore on redigo
	github.com/alexedwards/scs/v2 v2.9.0 // peer: scs memstore
	github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c // floor: raw memcached client; the prefill and the round-trip floor
	github.com/gofiber/storage/memory/v2 v2.1.2 // peer: gofiber/storage memory
	github.com/gofiber/storage/redis/v3 v3.4.3 // peer (redisbench): gofiber/storage redis
	github.com/gomodule/redigo v1.9.3 // peer (redisbench): the pool scs's redisstore takes
	github.com/philippgille/gokv/memcached v0.7.0 // peer: gokv memcached
	github.com/redis/go-redis/v9 v9.23.0 // floor (redisbench): raw go-redis, also the client of two peers
	github.com/sessionstore/sessionstore v0.0.0-00010101000000-000000000000 // ours: the session API and the memory driver
	github.com/sessionstore/sessionstore/drivers/memcached v0.0.0-00010101000000-000000000000 // ours: the memcached driver
	github.com/sessionstore/sessionstore/drivers/redis v0.0.0-00010101000000-000000000000 // ours (redisbench): the Redis driver
	github.com/stretchr/testify v1.12.1 // tests only: assertions
	go.uber.org/goleak v1.3.0 // tests only: no goroutine outlives a test
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/philippgille/gokv/encoding v0.7.0 // indirect
	github.com/philippgille/gokv/util v0.7.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/sessionstore/sessionstore/drivers/memcached => ../drivers/memcached

replace github.com/sessionstore/sessionstore/drivers/redis => ../drivers/redis

replace github.com/sessionstore/sessionstore/internal/containertest => ../internal/containertest
