module github.com/sessionstore/sessionstore

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1 // tests and internal/sqlstore/sqlstoretest (the SQL drivers' shared tests): assertions
	go.uber.org/goleak v1.3.0 // tests and sqlstoretest.Main: no goroutine outlives a test
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
