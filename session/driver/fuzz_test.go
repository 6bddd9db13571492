package driver_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// FuzzNaming checks Naming against its definition (contract section 3): the
// non-empty parts joined with ':', audience and subject base64url-encoded,
// Append* equal to the string forms, no panic on any input, and a session
// item never equal to an index item.
func FuzzNaming(f *testing.F) {
	f.Add("sessions", "", "session", strings.Repeat("K", 43), "default", "john")
	f.Add("", "suffix", "a", "b", "a:b", "c")
	f.Add("", "", "", "", "", "")
	f.Add("p\x00", "s\xff", "n", "k y", "a;", ":s")
	f.Fuzz(func(t *testing.T, prefix, suffix, name, key, aud, sub string) {
		n := driver.Naming{Prefix: prefix, Suffix: suffix}
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
		enc := base64.RawURLEncoding.EncodeToString
		sk := n.SessionItem(name, key)
		require.Equal(t, join(name, key), sk)
		require.Equal(t, "x"+sk, string(n.AppendSessionItem([]byte("x"), name, key)))
		ik := n.IndexItem(name, aud, sub)
		require.Equal(t, join(name, enc([]byte(aud)), enc([]byte(sub))), ik)
		require.Equal(t, "x"+ik, string(n.AppendIndexItem([]byte("x"), name, aud, sub)))
		if driver.CheckGet(name, key) == nil && !strings.Contains(prefix+suffix, ":") {
			// A valid session item has one ':' more than its prefix and
			// suffix add; an index item has two.
			require.NotEqual(t, sk, ik, "a session item never names an index")
		}
	})
}

// FuzzCheckSet feeds arbitrary arguments to the rules: no panic, every
// rejection an *ArgumentError that never quotes the key, and every accepted
// name and key free of ':'.
func FuzzCheckSet(f *testing.F) {
	f.Add("session", strings.Repeat("K", 43), int64(time.Hour), "", int64(0), "a", "s")
	f.Add("", "", int64(0), "old", int64(-1), "", "")
	f.Add("session", "k:y", int64(1), "o;d", int64(1), "a", "s")
	f.Fuzz(func(t *testing.T, name, key string, ttl int64, oldKey string, stale int64, aud, sub string) {
		opts := session.SetOptions{OldKey: oldKey, StaleTTL: time.Duration(stale)}
		if aud != "" || sub != "" {
			opts.Metadata = []session.Pair{{Audience: aud, Subject: sub}}
		}
		err := driver.CheckSet(name, key, time.Duration(ttl), opts)
		if err == nil {
			require.NotEmpty(t, name)
			require.NotEmpty(t, key)
			require.Positive(t, ttl)
			require.NotContains(t, name+key+oldKey, ":")
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
