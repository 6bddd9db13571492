package memcached_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/memcached"
	"github.com/sessionstore/sessionstore/session"
)

// Learning the servers' item size limits (contract 2.21) against fake
// servers: once per server, a fallback where a server does not say, and
// again after the server refused an item its learned limit allowed.

// settingsServer is a fake memcached that answers "stats settings" with
// settings() and a set with STORED, or with tooLarge() when that is true;
// it counts the commands it was sent.
type settingsServer struct {
	*fakeServer
	mu       sync.Mutex
	commands map[string]int
}

func startSettingsServer(t *testing.T, settings func() string, tooLarge func() bool) *settingsServer {
	t.Helper()
	s := &settingsServer{commands: map[string]int{}}
	s.fakeServer = startFake(t, 0, func(line string) []byte {
		cmd, _, _ := strings.Cut(line, " ")
		s.mu.Lock()
		s.commands[cmd]++
		s.mu.Unlock()
		switch cmd {
		case "stats":
			if a := settings(); a != "" {
				return []byte(a)
			}
			return nil
		case "set":
			if tooLarge != nil && tooLarge() {
				return []byte("SERVER_ERROR object too large for cache\r\n")
			}
			return []byte("STORED\r\n")
		}
		return nil // a data block, or a command the tests do not send
	})
	return s
}

func (s *settingsServer) count(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[cmd]
}

func itemSizeMax(n string, cas string) string {
	return "STAT maxbytes 67108864\r\nSTAT cas_enabled " + cas + "\r\nSTAT item_size_max " + n + "\r\nSTAT other x\r\nEND\r\n"
}

// wireKeyLen is len("session%3Ak"), the wire key of ("session", "k").
const wireKeyLen = 11

func setValue(t *testing.T, s *memcached.Storage, n int) error {
	t.Helper()
	return s.Set(t.Context(), "session", "k", make([]byte, n), time.Minute, time.Now(), session.SetOptions{})
}

func requireLimit(t *testing.T, err error, limit int) {
	t.Helper()
	require.ErrorIs(t, err, session.ErrTooLarge)
	var ae *session.ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, limit, ae.Limit)
}

func TestItemSizeLearnedOncePerServer(t *testing.T) {
	for _, tt := range []struct {
		cas   string
		limit int
	}{
		{"yes", 2048 - wireKeyLen - memcached.ItemOverhead},
		{"no", 2048 - wireKeyLen - memcached.ItemOverhead + 8}, // no CAS id in the item
	} {
		t.Run("cas "+tt.cas, func(t *testing.T) {
			f := startSettingsServer(t, func() string { return itemSizeMax("2048", tt.cas) }, nil)
			s, err := memcached.New(memcached.Config{Servers: []string{f.addr}})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })

			require.NoError(t, setValue(t, s, 100), "a small item needs no limit")
			assert.Zero(t, f.count("stats"))
			require.NoError(t, setValue(t, s, tt.limit))
			requireLimit(t, setValue(t, s, tt.limit+1), tt.limit)
			assert.Equal(t, 2, f.count("set"), "the refused value was not sent")
			assert.Equal(t, 1, f.count("stats"), "the limit is learned once")
		})
	}
}

func TestItemSizeFallsBackWithoutStats(t *testing.T) {
	f := startSettingsServer(t, func() string { return "ERROR\r\n" }, nil)
	s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, MaxValueSize: 4000})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	require.NoError(t, setValue(t, s, 3000), "a proxy without stats: the configured limit applies")
	require.NoError(t, setValue(t, s, 4000))
	requireLimit(t, setValue(t, s, 4001), 4000)
	assert.Equal(t, 2, f.count("set"))
	assert.Equal(t, 1, f.count("stats"), "a server that did not say is not asked again")
}

func TestItemSizeRelearnedAfterRefusal(t *testing.T) {
	var mu sync.Mutex
	limit := "1048576"
	f := startSettingsServer(t,
		func() string { mu.Lock(); defer mu.Unlock(); return itemSizeMax(limit, "yes") },
		func() bool { mu.Lock(); defer mu.Unlock(); return limit == "2048" }, // restarted with -I 2k
	)
	s, err := memcached.New(memcached.Config{Servers: []string{f.addr}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	require.NoError(t, setValue(t, s, 4000))
	mu.Lock()
	limit = "2048"
	mu.Unlock()
	want := 2048 - wireKeyLen - memcached.ItemOverhead
	requireLimit(t, setValue(t, s, 4000), want)
	assert.Equal(t, 2, f.count("stats"), "asked again after the refusal, and the error names the new limit")
	requireLimit(t, setValue(t, s, 4000), want)
	assert.Equal(t, 2, f.count("set"), "refused before sending from then on")
}

func TestItemSizeUnreadableSettings(t *testing.T) {
	for _, tt := range []struct {
		name, answer string
		asks         int // stats requests for two Sets
	}{
		// Each is an answer of a server that was reached: it is not asked
		// again until it refuses an item as too large.
		{"unreadable number", "STAT item_size_max abc\r\nEND\r\n", 1},
		{"below memcached's minimum", "STAT item_size_max 12\r\nEND\r\n", 1},
		{"no item_size_max", "STAT maxbytes 1\r\nEND\r\n", 1},
		{"overlong line", "STAT " + strings.Repeat("x", 600) + " 1\r\nEND\r\n", 1},
		{"no answer (a proxy that swallows the command)", "", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := startSettingsServer(t, func() string { return tt.answer }, nil)
			s, err := memcached.New(memcached.Config{Servers: []string{f.addr}, ReadTimeout: 300 * time.Millisecond})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			require.NoError(t, setValue(t, s, 3000), "the configured limit applies")
			require.NoError(t, setValue(t, s, 3000))
			assert.Equal(t, 2, f.count("set"))
			assert.Equal(t, tt.asks, f.count("stats"))
		})
	}
}
