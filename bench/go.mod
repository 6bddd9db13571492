module github.com/sessionstore/sessionstore/bench

go 1.26.0

replace github.com/sessionstore/sessionstore => ../

require (
	github.com/alexedwards/scs/pgxstore v0.0.0-20240316134038-7e11d57e8885 // postgres: scs's PostgreSQL store, the peer (served at a pseudo-version only)
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c
	github.com/gofiber/storage/memory/v2 v2.1.2
	github.com/jackc/pgx/v5 v5.12.0 // postgres: raw pgx running the driver's statements, the floor
	github.com/philippgille/gokv/memcached v0.7.0
	github.com/sessionstore/sessionstore v0.0.0-00010101000000-000000000000
	github.com/sessionstore/sessionstore/drivers/memcached v0.0.0-00010101000000-000000000000
	github.com/sessionstore/sessionstore/drivers/postgres v0.0.0-00010101000000-000000000000 // postgres: the driver under test and its pgtest container helper
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20221227161230-091c0ba34f0a // indirect
	github.com/jackc/puddle/v2 v2.2.1 // indirect
	github.com/philippgille/gokv/encoding v0.7.0 // indirect
	github.com/philippgille/gokv/util v0.7.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/sessionstore/sessionstore/drivers/memcached => ../drivers/memcached

replace github.com/sessionstore/sessionstore/drivers/postgres => ../drivers/postgres

replace github.com/sessionstore/sessionstore/internal/containertest => ../internal/containertest
