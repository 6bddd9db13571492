package sqlstoretest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main runs a driver package's tests around a server they share: setup
// starts it (an error that means no container can run here is no error:
// the tests then skip, or fail with SESSIONSTORE_REQUIRE_DOCKER=1) and
// returns its teardown; an error of setup fails the binary. After the
// tests and the teardown, a goroutine left behind fails the binary too:
// the driver's pools, sweepers and KILL QUERY goroutines all end with
// Close. It returns the exit code for os.Exit.
func Main(m *testing.M, setup func() (teardown func(), err error)) int {
	code := func() int {
		teardown, err := setup()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer teardown()
		return m.Run()
	}()
	if code == 0 {
		// Docker's client keeps idle HTTP connections alive; they are not
		// the driver's goroutines.
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}
