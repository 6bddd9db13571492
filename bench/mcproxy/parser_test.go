package mcproxy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The stream may be cut anywhere: inside a command line, inside a data
// block, between the data and its CRLF.
func TestParserAcrossChunks(t *testing.T) {
	stream := "set a 0 0 5\r\nge\r\nt\r\nappend b 0 0 3 noreply\r\nxyz\r\nms c 4 T60\r\nget \r\ngets a b\r\n\r\ndelete a\r\n"
	want := []string{"set", "append", "ms", "gets", "delete"}
	for cut := 1; cut <= len(stream); cut++ {
		var ps parser
		var got []string
		for i := 0; i < len(stream); i += cut {
			got = append(got, ps.feed([]byte(stream[i:min(i+cut, len(stream))]))...)
		}
		assert.Equal(t, want, got, "chunks of %d bytes", cut)
	}
}

func TestParserBadLengthDoesNotSkip(t *testing.T) {
	var ps parser
	assert.Equal(t, []string{"set", "get"}, ps.feed([]byte("set a 0 0 x\r\nget a\r\n")))
}
