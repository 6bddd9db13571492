package postgres_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// storable reports whether a TEXT column holds s: only those are accepted
// as names, keys and table names, the rest are refused with nothing
// written. Every column is TEXT (or BYTEA for values) in both modes.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// hostileHarness: the PostgreSQL limits are B-tree entries of about 2,700
// bytes and identifiers of 63 bytes (longer ones are silently truncated).
var hostileHarness = sqlstoretest.HostileHarness{
	Harness:           harness,
	Storable:          func(_ sqlstore.Mode, _, s string) bool { return storable(s) },
	TableNameOK:       storable,
	TooLongTableNames: []string{strings.Repeat("x", 64)},
	TableExists: func(t testing.TB, ns, name string) bool {
		var exists bool
		require.NoError(t, admin.QueryRow(context.Background(),
			"SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2)", ns, name).Scan(&exists))
		return exists
	},
	Limits: func(sqlstore.Mode) (int, int, int) {
		return postgres.MaxNameLength, postgres.MaxKeyLength, postgres.MaxPairLength
	},
}

func TestHostileArguments(t *testing.T)  { sqlstoretest.HostileArguments(t, hostileHarness) }
func TestHostileTableNames(t *testing.T) { sqlstoretest.HostileTableNames(t, hostileHarness) }
func TestLengthLimits(t *testing.T)      { sqlstoretest.LengthLimits(t, hostileHarness) }
