package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
)

// FuzzNaming checks Naming against its definition: the non-empty parts
// joined with ':', Append* equal to the string forms, no panic on any input.
func FuzzNaming(f *testing.F) {
	f.Add("sessions", "", "session", strings.Repeat("K", 43), "ZGVmYXVsdA", "am9obg")
	f.Add("", "suffix", "a:b", "c", "", "")
	f.Add("", "", "", "", "", "")
	f.Add("p\x00", "s\xff", "n", "k y", "a;", ":s")
	f.Fuzz(func(t *testing.T, prefix, suffix, name, key, aud, sub string) {
		n := session.Naming{Prefix: prefix, Suffix: suffix}
		join := func(body ...string) string {
			parts := body
			if prefix != "" {
				parts = append([]string{prefix}, parts...)
			}
			if suffix != "" {
				parts = append(parts, suffix)
			}
			return strings.Join(parts, ":")
		}
		sk := n.SessionKey(name, key)
		require.Equal(t, join(name, key), sk)
		require.Equal(t, "x"+sk, string(n.AppendSessionKey([]byte("x"), name, key)))
		ik := n.IndexKey(name, aud, sub)
		require.Equal(t, join(name, aud, sub), ik)
		require.Equal(t, "x"+ik, string(n.AppendIndexKey([]byte("x"), name, aud, sub)))
	})
}

// FuzzCheckSet feeds arbitrary arguments to the rules: no panic, every
// rejection an *ArgumentError that never quotes the key.
func FuzzCheckSet(f *testing.F) {
	f.Add("session", strings.Repeat("K", 43), int64(time.Hour), "", int64(0), "a", "s")
	f.Add("", "", int64(0), "old", int64(-1), "", "")
	f.Add("session", "k:y", int64(1), "o;d", int64(1), "a", "s")
	f.Fuzz(func(t *testing.T, name, key string, ttl int64, oldKey string, stale int64, aud, sub string) {
		opts := session.SetOptions{OldKey: oldKey, StaleTTL: time.Duration(stale)}
		if aud != "" || sub != "" {
			opts.Metadata = []session.Pair{{Audience: aud, Subject: sub}}
		}
		err := session.CheckSet(name, key, time.Duration(ttl), opts)
		if err == nil {
			require.NotEmpty(t, name)
			require.NotEmpty(t, key)
			require.Positive(t, ttl)
			return
		}
		require.ErrorIs(t, err, session.ErrInvalidArgument)
		var ae *session.ArgumentError
		require.ErrorAs(t, err, &ae)
		if len(key) >= 8 && !strings.Contains("session: invalid "+ae.Arg+": "+ae.Reason, key) {
			require.NotContains(t, err.Error(), key)
		}
	})
}
