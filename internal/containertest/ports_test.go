package containertest

import (
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsPortConflict(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{errors.New("driver failed programming external connectivity: Bind for 127.0.0.1:4000 failed: port is already allocated"), true},
		{errors.New("listen tcp4 127.0.0.1:4000: bind: address already in use"), true},
		{errors.New("no such image"), false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, isPortConflict(tc.err), tc.err.Error())
	}
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	require.NoError(t, err)
	assert.Positive(t, port)
	l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(port)))
	require.NoError(t, err, "the chosen port must be free to bind")
	require.NoError(t, l.Close())
}
