package redistest

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFreePort(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		p, err := freePort()
		require.NoError(t, err)
		assert.GreaterOrEqual(t, p, portLow)
		assert.Less(t, p+busShift, 32768, "the bus port stays below the ephemeral range")
		assert.False(t, seen[p], "a port is handed out once per process")
		seen[p] = true
		assert.True(t, bindable(p))
		assert.True(t, bindable(p+busShift))
	}
}

func TestReadReply(t *testing.T) {
	in := "*3\r\n+OK\r\n:42\r\n*2\r\n$5\r\nhello\r\n$-1\r\n-ERR boom\r\n"
	r := bufio.NewReader(strings.NewReader(in))
	v, err := readReply(r)
	require.NoError(t, err)
	assert.Equal(t, []any{"OK", int64(42), []any{"hello", nil}}, v)
	_, err = readReply(r)
	assert.Equal(t, respError("ERR boom"), err)
	_, err = readReply(bufio.NewReader(strings.NewReader("?x\r\n")))
	require.Error(t, err)
}

func TestInfoField(t *testing.T) {
	text := "# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n"
	assert.Equal(t, "slave", infoField(text, "role"))
	assert.Equal(t, "up", infoField(text, "master_link_status"))
	assert.Empty(t, infoField(text, "missing"))
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, fields([]any{"a", "1", "b", "2"}))
}
