module github.com/sessionstore/sessionstore/drivers/mysql

go 1.26.0

replace github.com/sessionstore/sessionstore => ../..

replace github.com/sessionstore/sessionstore/internal/containertest => ../../internal/containertest

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/go-sql-driver/mysql v1.10.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.uber.org/goleak v1.3.0 // indirect
)
