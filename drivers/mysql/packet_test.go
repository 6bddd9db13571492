package mysql_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/mysql"
	"github.com/sessionstore/sessionstore/session"
)

// A value the server would refuse as a query over its max_allowed_packet
// is refused before it is sent, with the server's limit in the error, and
// the previous value stays (contract 2.21): the server would also drop the
// connection. The limit counts the value as escaped into its query.
func TestValueOverMaxAllowedPacket(t *testing.T) {
	const limit = 2 << 20
	var was int64
	require.NoError(t, admin.QueryRow("SELECT @@GLOBAL.max_allowed_packet").Scan(&was))
	_, err := admin.Exec("SET GLOBAL max_allowed_packet = " + strconv.Itoa(limit)) // new connections only
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec("SET GLOBAL max_allowed_packet = " + strconv.FormatInt(was, 10)) })

	store := newStorage(t, mysql.Config{})
	ctx := context.Background()
	k := sessionKey()
	small := bytes.Repeat([]byte("a"), limit*3/4)
	require.NoError(t, store.Set(ctx, "session", k, small, time.Hour, time.Now(), session.SetOptions{}))

	for _, v := range [][]byte{
		bytes.Repeat([]byte("b"), limit+1),
		bytes.Repeat([]byte{0}, limit*3/4), // fits raw, not escaped: every NUL is two bytes in the query
	} {
		err := store.Set(ctx, "session", k, v, time.Hour, time.Now(), session.SetOptions{})
		require.Error(t, err)
		assert.ErrorIs(t, err, session.ErrTooLarge)
		var ae *session.ArgumentError
		require.True(t, errors.As(err, &ae))
		assert.Equal(t, "value", ae.Arg)
		assert.Contains(t, err.Error(), "max_allowed_packet ("+strconv.Itoa(limit)+" bytes)")
		assert.Less(t, ae.Limit, limit)
		got, err := store.Get(ctx, "session", k)
		require.NoError(t, err)
		assert.Equal(t, small, got, "the refused write left the previous value")
	}
}
