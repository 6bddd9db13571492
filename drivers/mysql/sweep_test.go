package mysql_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/internal/sqlstore/sqlstoretest"
)

// fillExpired inserts n expired sessions (each with an index row) straight
// into a database's tables, as a backlog left by a stopped sweeper.
func fillExpired(t *testing.T, db string, mode mysql.Mode, n int, now time.Time) {
	t.Helper()
	exp, name, metaCols, metaName := fmt.Sprint(now.Add(-time.Hour).Unix()), "'session'", "aud, sub, sid", ""
	if mode == mysql.LuaTables {
		exp = "FROM_UNIXTIME(" + exp + ")"
	} else {
		metaCols, metaName = "name, "+metaCols, "'session', "
	}
	// One transaction: a running sweeper must not see sessions without
	// their index rows. The rows come from a recursive CTE counting to n
	// (MariaDB stops one at 1,000 iterations by default).
	_, err := admin.Exec(fmt.Sprintf(`SET SESSION max_recursive_iterations = 1000000;
START TRANSACTION;
INSERT INTO %[1]s.sessions (name, sid, data, exp)
  WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[2]d)
  SELECT %[3]s, CONCAT('expired-', i), '', %[4]s FROM seq;
INSERT INTO %[1]s.sessions_meta (%[5]s)
  WITH RECURSIVE seq (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %[2]d)
  SELECT %[6]s'YQ', 'cw', CONCAT('expired-', i) FROM seq;
COMMIT`, db, n, name, exp, metaCols, metaName))
	require.NoError(t, err)
}

func TestSweepBacklogInBatches(t *testing.T) {
	sqlstoretest.SweepBacklogInBatches(t, harness, fillExpired)
}

func TestSweeperInBackground(t *testing.T) { sqlstoretest.SweeperInBackground(t, harness, fillExpired) }
func TestSweepFollowsClock(t *testing.T)   { sqlstoretest.SweepFollowsClock(t, harness) }
