module github.com/sessionstore/sessionstore/scsstore

go 1.26.0

require (
	github.com/alexedwards/scs/v2 v2.9.0 // the Store and CtxStore interfaces implemented; tests: the SessionManager end to end
	github.com/sessionstore/sessionstore v0.0.0-00010101000000-000000000000 // the session API wrapped and the driver toolkit's argument checks; tests: the memory driver, ManualClock
	github.com/stretchr/testify v1.12.1 // tests only: assertions
	go.uber.org/goleak v1.3.0 // tests only: no goroutine outlives a test
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

replace github.com/sessionstore/sessionstore => ..
