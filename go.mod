module github.com/sessionstore/sessionstore

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1 // tests only: assertions
	go.uber.org/goleak v1.3.0 // tests only: no goroutine outlives a test
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
