package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
)

// ErrTimeout reports a statement the server gave up on after ReadTimeout
// (a row lock waited for longer than innodb_lock_wait_timeout, or a
// statement time limit the server enforces) while the caller's context was
// still live.
var ErrTimeout = errors.New("mysql: statement timed out")

// Server error numbers the driver acts on.
const (
	erLockWaitTimeout   = 1205 // ER_LOCK_WAIT_TIMEOUT
	erLockDeadlock      = 1213 // ER_LOCK_DEADLOCK: the whole transaction was rolled back
	erNetPacketTooLarge = 1153 // ER_NET_PACKET_TOO_LARGE: max_allowed_packet
	erStatementTimeout  = 1969 // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
	erQueryTimeout      = 3024 // MySQL ER_QUERY_TIMEOUT (max_execution_time)
)

// quietMessages are the server errors whose messages name no statement
// value: only tables, columns, constraints, limits and states. Every
// other message is withheld from the error's text, because with
// client-side interpolation the statement carries the values, and
// messages such as ER_DUP_ENTRY ("Duplicate entry '<value>'"), a syntax
// error ("near '<text>'") or ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
// ("Incorrect string value: '<bytes>'") quote them: a session key, value
// or subject must never reach an error, a log or a span.
var quietMessages = map[uint16]bool{
	1040: true, // too many connections
	1044: true, // access denied to database
	1045: true, // access denied for user
	1046: true, // no database selected
	1048: true, // column cannot be null
	1049: true, // unknown database
	1053: true, // server shutdown in progress
	1054: true, // unknown column
	1114: true, // table is full
	1142: true, // command denied for table
	1146: true, // table doesn't exist
	1153: true, // packet bigger than max_allowed_packet
	1205: true, // lock wait timeout
	1213: true, // deadlock
	1264: true, // out of range value for column
	1290: true, // server running with --read-only
	1317: true, // query execution was interrupted
	1406: true, // data too long for column
	1451: true, // foreign key: a child row exists
	1452: true, // foreign key: no parent row
	1568: true, // transaction characteristics during a transaction
	1665: true, // binlog_format STATEMENT with READ COMMITTED
	1792: true, // read-only transaction
	1927: true, // connection was killed
	1969: true, // max_statement_time exceeded
	3024: true, // max_execution_time exceeded
}

// serverError is an error the server returned, with its message withheld
// from Error() unless it is known to quote no value. errors.As with
// *mysql.MySQLError (go-sql-driver's) still gives number, SQLSTATE and the
// whole message, for code that asks.
type serverError struct {
	err *gomysql.MySQLError
}

func (e *serverError) Error() string {
	state := string(e.err.SQLState[:])
	if quietMessages[e.err.Number] {
		return fmt.Sprintf("server error %d (%s): %s", e.err.Number, state, e.err.Message)
	}
	return fmt.Sprintf("server error %d (%s) (message withheld: it may quote statement values; errors.As gives the *mysql.MySQLError)", e.err.Number, state)
}

func (e *serverError) Unwrap() error { return e.err }

// classify wraps a server error as serverError, and as timeoutError when
// it is the server's limit on a statement and the caller still waits.
func classify(ctx context.Context, err error) error {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return err
	}
	var out error = &serverError{err: me}
	switch me.Number {
	case erLockWaitTimeout, erStatementTimeout, erQueryTimeout:
		if ctx.Err() == nil {
			out = &sqlstore.TimeoutError{Timeout: ErrTimeout, Err: out}
		}
	}
	return out
}

// serverNumber returns the number of a server error, 0 for any other.
func serverNumber(err error) uint16 {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// retryable reports an error after which the operation can run again:
// nothing reached the server (database/sql's ErrBadConn: go-sql-driver
// found the connection dead before writing), or the server rolled the
// whole transaction back as a deadlock victim.
func retryable(err error) bool {
	return errors.Is(err, driver.ErrBadConn) || serverNumber(err) == erLockDeadlock
}

// again reports whether an operation that failed with err on try number
// try (from 1) runs once more.
func again(ctx context.Context, err error, try int) bool {
	return sqlstore.Again(ctx, err, try, retryable)
}
