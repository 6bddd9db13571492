package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/drivers/postgres"
	"github.com/sessionstore/sessionstore/session"
)

// hostile are strings an attacker or a bug may pass in any argument: SQL
// metacharacters and quotes of every kind, placeholders, format verbs, a
// NUL byte, invalid UTF-8, control and bidi characters.
var hostile = []string{
	`'; DROP TABLE sentinel; --`,
	`"); DROP TABLE sentinel; --`,
	`\'; DELETE FROM sentinel; --`,
	`' OR '1'='1`,
	`$1`,
	`%s%d%%`,
	`E'\x41'`,
	"$$; DROP TABLE sentinel; $$",
	"a\x00b",
	"\xff\xfe",
	"ünï\u202ecødé",
	"tab\tnew\nline",
}

// storable reports whether a TEXT column holds s: only those are accepted
// as names and keys, the rest are refused with nothing written.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// Every string argument carrying hostile bytes writes what it should (the
// literal string) or nothing, and breaks nothing: the tables, a sentinel
// table beside them and every other session are intact.
func TestHostileArguments(t *testing.T) {
	for _, mode := range []postgres.Mode{postgres.OwnTables, postgres.LuaTables} {
		t.Run(mode.String(), func(t *testing.T) {
			store, schema := newStorageSchema(t, postgres.Config{Mode: mode})
			ctx := context.Background()
			sentinel := sentinelTable(t, schema)
			now := time.Now()
			bystander, bv := sessionKey(), []byte("bystander")
			require.NoError(t, store.Set(ctx, "session", bystander, bv, time.Hour, now, session.SetOptions{}))
			live := 1 // sessions expected in the table

			for i, h := range hostile {
				what := fmt.Sprintf("hostile #%d", i)
				v := []byte("v-" + what)
				md := []session.Pair{{Audience: h, Subject: h}}

				// name
				k := sessionKey()
				err := store.Set(ctx, h, k, v, time.Hour, now, session.SetOptions{Metadata: md})
				if storable(h) {
					require.NoError(t, err, what)
					live++
					got, err := store.Get(ctx, h, k)
					require.NoError(t, err, what)
					assert.Equal(t, v, got, what)
					listed, err := store.ReadMetadata(ctx, h, h, h, now)
					require.NoError(t, err, what)
					assert.Contains(t, listed, k, what)
				} else {
					assertRejected(t, err, "name", what)
					_, err = store.Get(ctx, h, k)
					assertRejected(t, err, "name", what)
					assertRejected(t, store.Delete(ctx, h, k, now, nil), "name", what)
					_, err = store.ReadMetadata(ctx, h, "a", "s", now)
					assertRejected(t, err, "name", what)
				}

				// key, without metadata (a key with ';' cannot be indexed)
				err = store.Set(ctx, "session", h, v, time.Hour, now, session.SetOptions{})
				if storable(h) {
					require.NoError(t, err, what)
					got, err := store.Get(ctx, "session", h)
					require.NoError(t, err, what)
					assert.Equal(t, v, got, what)
					// rotation away from it, and delete of the new key
					k2 := sessionKey()
					require.NoError(t, store.Set(ctx, "session", k2, v, time.Hour, now, session.SetOptions{OldKey: h, Remember: true}), what)
					_, err = store.Get(ctx, "session", h)
					assert.ErrorIs(t, err, session.ErrNotFound, what)
					require.NoError(t, store.Delete(ctx, "session", k2, now, nil), what)
				} else {
					assertRejected(t, err, "key", what)
					_, err = store.Get(ctx, "session", h)
					assertRejected(t, err, "key", what)
					assertRejected(t, store.Delete(ctx, "session", h, now, nil), "key", what)
					err = store.Set(ctx, "session", sessionKey(), v, time.Hour, now, session.SetOptions{OldKey: h})
					assertRejected(t, err, "oldkey", what)
				}

				// audience and subject: any bytes, stored base64url-encoded
				k3 := sessionKey()
				require.NoError(t, store.Set(ctx, "session", k3, v, time.Hour, now, session.SetOptions{Metadata: md}), what)
				live++
				listed, err := store.ReadMetadata(ctx, "session", h, h, now)
				require.NoError(t, err, what)
				assert.Contains(t, listed, k3, what)
				n, err := session.RevokeAll(ctx, store, "session", h, h, now)
				require.NoError(t, err, what)
				if mode == postgres.OwnTables || !storable(h) {
					assert.Equal(t, 1, n, what)
				}
				live -= n
			}

			got, err := store.Get(ctx, "session", bystander)
			require.NoError(t, err)
			assert.Equal(t, bv, got, "other sessions are untouched")
			assert.Equal(t, live, countRows(t, schema+".sessions", "true"), "exactly the accepted sessions are stored")
			assert.Equal(t, 1, countRows(t, sentinel, "true"), "the sentinel table beside them is intact")
		})
	}
}

// Hostile table names: quoted, they name a table and nothing else; NUL
// bytes and invalid UTF-8 are configuration errors.
func TestHostileTableNames(t *testing.T) {
	schema := freshSchema(t)
	sentinel := sentinelTable(t, schema)
	ctx := context.Background()
	for i, h := range hostile {
		what := fmt.Sprintf("hostile table #%d", i)
		cfg := postgres.Config{Table: schema + "." + h, ConnString: server(t)}
		if !storable(h) {
			_, err := postgres.New(cfg)
			assert.ErrorIs(t, err, postgres.ErrConfig, what)
			continue
		}
		for _, mode := range []postgres.Mode{postgres.OwnTables, postgres.LuaTables} {
			cfg.Mode = mode
			if mode == postgres.LuaTables {
				cfg.Table = schema + "." + h + "_lua"
			}
			store := newStorage(t, cfg)
			k := sessionKey()
			md := []session.Pair{{Audience: "a", Subject: "s"}}
			require.NoError(t, store.Set(ctx, "session", k, []byte("v"), time.Hour, time.Now(), session.SetOptions{Metadata: md}), what)
			got, err := store.Get(ctx, "session", k)
			require.NoError(t, err, what)
			assert.Equal(t, "v", string(got), what)
			listed, err := store.ReadMetadata(ctx, "session", "a", "s", time.Now())
			require.NoError(t, err, what)
			assert.Contains(t, listed, k, what)
			_, err = store.Sweep(ctx)
			require.NoError(t, err, what)
			require.NoError(t, store.Delete(ctx, "session", k, time.Now(), md), what)
			var exists bool
			require.NoError(t, admin.QueryRow(ctx,
				"SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2)",
				schema, cfg.Table[len(schema)+1:]).Scan(&exists))
			assert.True(t, exists, "%s: the table has the literal name", what)
		}
	}
	assert.Equal(t, 1, countRows(t, sentinel, "true"), "the sentinel table is intact")
	_, err := postgres.New(postgres.Config{Table: schema + "." + strings.Repeat("x", 64)})
	assert.ErrorIs(t, err, postgres.ErrConfig, "a name PostgreSQL would truncate is refused")
}

// sentinelTable creates a table with one row beside the Storage's.
func sentinelTable(t *testing.T, schema string) string {
	t.Helper()
	name := pgx.Identifier{schema, "sentinel"}.Sanitize()
	_, err := admin.Exec(context.Background(), "CREATE TABLE "+name+" (x int); INSERT INTO "+name+" VALUES (1)")
	require.NoError(t, err)
	return name
}

// assertRejected asserts a clean refusal of arg: an invalid argument named
// in the error.
func assertRejected(t *testing.T, err error, arg, what string) {
	t.Helper()
	require.Error(t, err, what)
	assert.ErrorIs(t, err, session.ErrInvalidArgument, what)
	var ae *session.ArgumentError
	require.True(t, errors.As(err, &ae), what)
	assert.Contains(t, strings.ToLower(ae.Arg), arg, what)
}

// Arguments at the length limits fit the tables' B-tree keys together; one
// byte more is refused before anything is sent (PostgreSQL would refuse an
// index entry over about 2,700 bytes).
func TestLengthLimits(t *testing.T) {
	for _, mode := range []postgres.Mode{postgres.OwnTables, postgres.LuaTables} {
		t.Run(mode.String(), func(t *testing.T) {
			store, schema := newStorageSchema(t, postgres.Config{Mode: mode})
			ctx := context.Background()
			now := time.Now()
			name := strings.Repeat("n", postgres.MaxNameLength)
			key := strings.Repeat("k", postgres.MaxKeyLength)
			pair := strings.Repeat("\xff", postgres.MaxPairLength) // encodes to the longest base64url
			md := []session.Pair{{Audience: pair, Subject: pair}}
			require.NoError(t, store.Set(ctx, name, key, []byte("v"), time.Hour, now, session.SetOptions{Metadata: md}))
			listed, err := store.ReadMetadata(ctx, name, pair, pair, now)
			require.NoError(t, err)
			assert.Contains(t, listed, key)

			for _, tc := range []struct {
				arg            string
				name, key, aud string
			}{
				{"name", name + "n", sessionKey(), "a"},
				{"key", "session", key + "k", "a"},
				{"metadata[0].audience", "session", sessionKey(), pair + "x"},
			} {
				err := store.Set(ctx, tc.name, tc.key, []byte("v"), time.Hour, now, session.SetOptions{Metadata: []session.Pair{{Audience: tc.aud, Subject: "s"}}})
				require.Error(t, err, tc.arg)
				assert.ErrorIs(t, err, session.ErrTooLarge, tc.arg)
				assertRejected(t, err, tc.arg, tc.arg)
			}
			assert.Equal(t, 1, countRows(t, schema+".sessions", "true"), "the refused Sets wrote nothing")
		})
	}
}
