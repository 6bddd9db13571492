package sqlstoretest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/internal/sqlstore"
	"github.com/sessionstore/sessionstore/session"
)

// Hostile are strings an attacker or a bug may pass in any argument: SQL
// metacharacters and quotes of every kind (PostgreSQL's dollar quotes and
// E” strings, MySQL's backticks), backslash escapes (which MySQL reads
// inside string literals), placeholders of both servers (go-sql-driver
// interpolates ?), comments, format verbs, a NUL byte, Ctrl-Z, invalid
// UTF-8, control and bidi characters. Both drivers get all of them.
var Hostile = []string{
	`'; DROP TABLE sentinel; --`,
	`"); DROP TABLE sentinel; --`,
	"`; DROP TABLE sentinel; -- ",
	`\'; DELETE FROM sentinel; --`,
	`\'; DELETE FROM sentinel; -- x`,
	`\\'; DELETE FROM sentinel; #`,
	`' OR '1'='1`,
	`$1`,
	`?`,
	`?, ?); DELETE FROM sentinel; -- x`,
	`%s%d%%`,
	`%s%d%%_`,
	`E'\x41'`,
	"$$; DROP TABLE sentinel; $$",
	"/* c */ x",
	"_binary'x'",
	"a\x00b",
	"\x1a\\0",
	"\xff\xfe",
	"ünï\u202ecødé",
	"ünïcødé\u202e",
	"tab\tnew\nline",
}

// HostileHarness adds to Harness what the hostile tests need to know of
// the server.
type HostileHarness struct {
	Harness
	// Storable reports whether the tables of mode store s as the argument
	// arg ("name" or "key"); the rest must be refused with nothing
	// written.
	Storable func(mode sqlstore.Mode, arg, s string) bool
	// TableNameOK reports whether a table named part (in a namespace) is
	// accepted; the rest are configuration errors.
	TableNameOK func(part string) bool
	// TooLongTableNames are table names (without their namespace) the
	// server would truncate or refuse: configuration errors.
	TooLongTableNames []string
	// TableExists reports whether namespace ns holds a table named name.
	TableExists func(t testing.TB, ns, name string) bool
	// Limits are the longest name, key and audience or subject the tables
	// of mode take.
	Limits func(mode sqlstore.Mode) (name, key, pair int)
}

// sentinel creates a table with one row beside the Storage's and returns
// its name.
func (h Harness) sentinel(t testing.TB, ns string) string {
	t.Helper()
	name := ns + ".sentinel"
	h.Exec(t, "CREATE TABLE "+name+" (x int); INSERT INTO "+name+" VALUES (1)")
	return name
}

// HostileArguments: every string argument carrying hostile bytes writes
// what it should (the literal string) or nothing, and breaks nothing: the
// tables, a sentinel table beside them and every other session are
// intact.
func HostileArguments(t *testing.T, h HostileHarness) {
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			store, ns := h.New(t, Options{Mode: mode})
			ctx := context.Background()
			sentinel := h.sentinel(t, ns)
			now := time.Now()
			bystander, bv := Key(), []byte("bystander")
			require.NoError(t, store.Set(ctx, "session", bystander, bv, time.Hour, now, session.SetOptions{}))
			live := 1 // sessions expected in the table
			for i, s := range Hostile {
				live += hostileArgument(t, store, mode, h.Storable, s, fmt.Sprintf("hostile #%d", i), now)
			}
			got, err := store.Get(ctx, "session", bystander)
			require.NoError(t, err)
			assert.Equal(t, bv, got, "other sessions are untouched")
			assert.Equal(t, live, h.Count(t, ns+".sessions", "true"), "exactly the accepted sessions are stored")
			assert.Equal(t, 1, h.Count(t, sentinel, "true"), "the sentinel table beside them is intact")
		})
	}
}

// hostileArgument passes h as the name, the key, the rotated-away key,
// the audience and the subject, and returns how many sessions it left.
func hostileArgument(t *testing.T, store Store, mode sqlstore.Mode, storable func(sqlstore.Mode, string, string) bool, h, what string, now time.Time) int {
	ctx := context.Background()
	v := []byte("v-" + what)
	md := []session.Pair{{Audience: h, Subject: h}}
	live := 0

	// name
	k := Key()
	err := store.Set(ctx, h, k, v, time.Hour, now, session.SetOptions{Metadata: md})
	if storable(mode, "name", h) {
		require.NoError(t, err, what)
		live++
		got, err := store.Get(ctx, h, k)
		require.NoError(t, err, what)
		assert.Equal(t, v, got, what)
		listed, err := store.ReadMetadata(ctx, h, h, h, now)
		require.NoError(t, err, what)
		assert.Contains(t, listed, k, what)
	} else {
		AssertRejected(t, err, "name", what)
		_, err = store.Get(ctx, h, k)
		AssertRejected(t, err, "name", what)
		AssertRejected(t, store.Delete(ctx, h, k, now, nil), "name", what)
		_, err = store.ReadMetadata(ctx, h, "a", "s", now)
		AssertRejected(t, err, "name", what)
	}

	// key, without metadata (a key with ';' cannot be indexed)
	err = store.Set(ctx, "session", h, v, time.Hour, now, session.SetOptions{})
	if storable(mode, "key", h) {
		require.NoError(t, err, what)
		got, err := store.Get(ctx, "session", h)
		require.NoError(t, err, what)
		assert.Equal(t, v, got, what)
		// rotation away from it, and delete of the new key
		k2 := Key()
		require.NoError(t, store.Set(ctx, "session", k2, v, time.Hour, now, session.SetOptions{OldKey: h, Remember: true}), what)
		_, err = store.Get(ctx, "session", h)
		assert.ErrorIs(t, err, session.ErrNotFound, what)
		require.NoError(t, store.Delete(ctx, "session", k2, now, nil), what)
	} else {
		AssertRejected(t, err, "key", what)
		_, err = store.Get(ctx, "session", h)
		AssertRejected(t, err, "key", what)
		AssertRejected(t, store.Delete(ctx, "session", h, now, nil), "key", what)
		err = store.Set(ctx, "session", Key(), v, time.Hour, now, session.SetOptions{OldKey: h})
		AssertRejected(t, err, "oldkey", what)
	}

	// audience and subject: any bytes, stored base64url-encoded
	k3 := Key()
	require.NoError(t, store.Set(ctx, "session", k3, v, time.Hour, now, session.SetOptions{Metadata: md}), what)
	live++
	listed, err := store.ReadMetadata(ctx, "session", h, h, now)
	require.NoError(t, err, what)
	assert.Contains(t, listed, k3, what)
	n, err := session.RevokeAll(ctx, store, "session", h, h, now)
	require.NoError(t, err, what)
	if mode == OwnTables || !storable(mode, "name", h) {
		assert.Equal(t, 1, n, what)
	}
	return live - n
}

// HostileTableNames: hostile table names, quoted, name a table and nothing
// else (a ? in one is no placeholder); the names the server cannot take
// as written (NUL bytes, invalid UTF-8, whatever TableNameOK refuses) are
// configuration errors, and so are names it would truncate.
func HostileTableNames(t *testing.T, h HostileHarness) {
	ns := h.Namespace(t)
	sentinel := h.sentinel(t, ns)
	ctx := context.Background()
	for i, s := range Hostile {
		what := fmt.Sprintf("hostile table #%d", i)
		if err := h.Open(Options{Table: ns + "." + s}); err != nil {
			assert.ErrorIs(t, err, h.ErrConfig, what)
			assert.False(t, h.TableNameOK(s), "%s refused: %v", what, err)
			continue
		}
		require.True(t, h.TableNameOK(s), "%s accepted", what)
		for _, mode := range Modes {
			table := s
			if mode == LuaTables {
				table += "_lua"
			}
			store, _ := h.New(t, Options{Mode: mode, Table: ns + "." + table})
			k := Key()
			md := []session.Pair{{Audience: "a", Subject: "s"}}
			require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: md}), what)
			got, err := store.Get(ctx, "session", k)
			require.NoError(t, err, what)
			assert.Equal(t, "v", string(got), what)
			listed, err := store.ReadMetadata(ctx, "session", "a", "s", time.Now())
			require.NoError(t, err, what)
			assert.Contains(t, listed, k, what)
			// A rotation away from k: its statements name both tables.
			require.NoError(t, store.Set(ctx, "session", Key(), []byte("v"), time.Hour, time.Now(), session.SetOptions{OldKey: k, Metadata: md}), what)
			got, err = store.Get(ctx, "session", k)
			require.NoError(t, err, what)
			assert.Equal(t, "v", string(got), what)
			listed, err = store.ReadMetadata(ctx, "session", "a", "s", time.Now())
			require.NoError(t, err, what)
			assert.Len(t, listed, 1, what)
			_, err = store.Sweep(ctx)
			require.NoError(t, err, what)
			require.NoError(t, store.Delete(ctx, "session", k, time.Now(), md), what)
			assert.True(t, h.TableExists(t, ns, table), "%s: the table has the literal name", what)
		}
	}
	assert.Equal(t, 1, h.Count(t, sentinel, "true"), "the sentinel table is intact")
	for _, name := range h.TooLongTableNames {
		assert.ErrorIs(t, h.Open(Options{Table: ns + "." + name}), h.ErrConfig, "%q is refused", name)
	}
}

// LengthLimits: arguments at the length limits fit the tables' keys
// together; one byte more is refused before anything is sent (the server
// would refuse an index entry over its limit, or truncate).
func LengthLimits(t *testing.T, h HostileHarness) {
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			store, ns := h.New(t, Options{Mode: mode})
			ctx := context.Background()
			now := time.Now()
			nameMax, keyMax, pairMax := h.Limits(mode)
			name := strings.Repeat("n", nameMax)
			key := strings.Repeat("k", keyMax)
			pair := strings.Repeat("\xff", pairMax) // encodes to the longest base64url
			md := []session.Pair{{Audience: pair, Subject: pair}}
			require.NoError(t, store.Set(ctx, name, key, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
			listed, err := store.ReadMetadata(ctx, name, pair, pair, now)
			require.NoError(t, err)
			assert.Contains(t, listed, key)

			for _, tc := range []struct {
				arg            string
				name, key, aud string
			}{
				{"name", name + "n", Key(), "a"},
				{"key", "session", key + "k", "a"},
				{"metadata[0].audience", "session", Key(), pair + "x"},
			} {
				err := store.Set(ctx, tc.name, tc.key, []byte("v"), time.Hour, now, session.SetOptions{Metadata: []session.Pair{{Audience: tc.aud, Subject: "s"}}})
				require.Error(t, err, tc.arg)
				assert.ErrorIs(t, err, session.ErrTooLarge, tc.arg)
				AssertRejected(t, err, tc.arg, tc.arg)
			}
			assert.Equal(t, 1, h.Count(t, ns+".sessions", "true"), "the refused Sets wrote nothing")
		})
	}
}
