package mysql_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

func TestTwoStoragesOneIndex(t *testing.T) { sqlstoretest.TwoStoragesOneIndex(t, harness) }

// Rotations crossing each other deadlock; InnoDB rolls one transaction
// back and the driver runs it again. The server's deadlock counter shows
// the case occurred.
func TestCrossedRotationsSurviveDeadlocks(t *testing.T) {
	store := newStorage(t, mysql.Config{PoolSize: 4})
	sqlstoretest.CrossedRotations(t, store, func() int64 {
		var n int64
		require.NoError(t, admin.QueryRow("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'").Scan(&n))
		return n
	})
}
