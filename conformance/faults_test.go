package conformance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/conformance"
	"github.com/sessionstore/sessionstore/examples/mapdriver"
	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// fault is a broken driver, and the subtest of the suite that must catch
// it: either a wrapper around the reference driver (examples/mapdriver,
// behind a value size limit) that injects one fault, or a kvStore with one
// of its faults.
type fault struct {
	name     string
	caughtBy string // subtest path under Run
	wrap     func(s *refStore) session.Storage
	kv       *kvFaults // instead of wrap: a broken kvStore
	// output, when set, must appear in the suite's output.
	output string
	// indexSize, when set, replaces the reference Capabilities.IndexSize.
	indexSize func(st session.Storage, name, audience, subject string) int
}

// maxValue is the value size limit of the reference driver in the
// self-test, so that the size-limit cases run.
const maxValue = 1 << 20

// refStore is the reference driver under a value size limit.
type refStore struct {
	*mapdriver.Store
	now func() time.Time
}

func newRefStore(now func() time.Time) *refStore { return &refStore{mapdriver.New(now), now} }

func (s *refStore) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) error {
	if err := driver.CheckValueSize(value, maxValue); err != nil {
		return fmt.Errorf("ref: set: %w", err)
	}
	return s.Store.Set(ctx, name, key, value, ttl, now, opts)
}

// indexSize is the size of the index of (name, audience, subject) in the
// lua-resty-session format, as an item that holds its live entries and
// expires with the latest; it implements Capabilities.IndexSize.
func (s *refStore) indexSize(name, audience, subject string) int {
	live, err := s.ReadMetadata(context.Background(), name, audience, subject, s.now())
	if err != nil {
		return 0
	}
	m := make(map[string]int64, len(live))
	for k, exp := range live {
		m[k] = exp.Unix()
	}
	item, _ := driver.AppendLiveIndex(nil, m)
	return len(item)
}

// wrapper forwards every call to a correct driver; each fault overrides one
// method.
type wrapper struct{ *refStore }

func (w wrapper) ref() *refStore { return w.refStore }

// staleTTL is the grace period a rotation with opts keeps the old key.
func staleTTL(opts session.SetOptions) time.Duration {
	if opts.StaleTTL == 0 {
		return session.DefaultStaleTTL
	}
	return opts.StaleTTL
}

func faults() []fault {
	return []fault{
		{name: "LosesIndexUpdates", caughtBy: "Index/NoLostUpdates", wrap: func(s *refStore) session.Storage {
			return &losesIndexUpdates{wrapper: wrapper{s}}
		}},
		{name: "ServesExpiredData", caughtBy: "Expiry/PresentBeforeGoneAfter", wrap: func(s *refStore) session.Storage {
			return &servesExpired{wrapper: wrapper{s}, shadow: map[string][]byte{}}
		}},
		{name: "DeleteOfMissingKeyFails", caughtBy: "Delete/MissingKeySucceeds", wrap: func(s *refStore) session.Storage {
			return deleteMissingFails{wrapper{s}}
		}},
		// The report names the leaked key without repeating it.
		{name: "LeaksKeyIntoErrors", caughtBy: "Errors/NoKeyOrValueInErrors", output: `get \"<session key #`, wrap: func(s *refStore) session.Storage {
			return leaksKey{wrapper{s}}
		}},
		{name: "IgnoresOldKey", caughtBy: "Rotation/StaleGracePeriod", wrap: func(s *refStore) session.Storage {
			return setOpts{wrapper{s}, func(o *session.SetOptions) { o.OldKey = "" }}
		}},
		{name: "IgnoresRemember", caughtBy: "Rotation/RememberDeletesOldAtOnce", wrap: func(s *refStore) session.Storage {
			return setOpts{wrapper{s}, func(o *session.SetOptions) { o.Remember = false }}
		}},
		{name: "ExtendsOldKey", caughtBy: "Rotation/NeverExtendsOldKey", wrap: func(s *refStore) session.Storage {
			return extendsOld{wrapper{s}}
		}},
		{name: "CreatesMissingOldKey", caughtBy: "Rotation/MissingOldKeyNotCreated", wrap: func(s *refStore) session.Storage {
			return createsOld{wrapper{s}}
		}},
		{name: "AcceptsBadTTL", caughtBy: "BadInput/Set/TTLZero", wrap: func(s *refStore) session.Storage {
			return acceptsBadTTL{wrapper{s}}
		}},
		{name: "IgnoresCancelledContext", caughtBy: "Context/Canceled/Get", wrap: func(s *refStore) session.Storage {
			return ignoresCtx{wrapper{s}}
		}},
		{name: "ListsEntryExpiringAtNow", caughtBy: "Index/ExpiringAtNowIsGone", wrap: func(s *refStore) session.Storage {
			return listsAtNow{wrapper{s}}
		}},
		{name: "EmptyValueIsMiss", caughtBy: "RoundTrip/EmptyValue", wrap: func(s *refStore) session.Storage {
			return emptyIsMiss{wrapper{s}}
		}},
		{name: "TransportErrorOnMiss", caughtBy: "Get/MissIsNotFound", wrap: func(s *refStore) session.Storage {
			return transportMiss{wrapper{s}}
		}},
		{name: "IndexIgnoresName", caughtBy: "Index/PerCookieName", wrap: func(s *refStore) session.Storage {
			return &indexIgnoresName{wrapper: wrapper{s}, names: map[string]bool{}}
		}},
		{name: "IndexesWrongPairs", caughtBy: "Index/ExactPairOnly", wrap: func(s *refStore) session.Storage {
			return crossPairs{wrapper{s}}
		}},
		{name: "TruncatesSubSecondTTL", caughtBy: "Index/SubSecondTTLRoundedUp", wrap: func(s *refStore) session.Storage {
			return truncatesTTL{wrapper{s}}
		}},
		{name: "AliasesCallerBuffer", caughtBy: "RoundTrip/CallerMayReuseBuffers", wrap: func(s *refStore) session.Storage {
			return &aliases{wrapper: wrapper{s}, bufs: map[string][]byte{}}
		}},
		{name: "PanicsOnOddKey", caughtBy: "RoundTrip/OddKeys", wrap: func(s *refStore) session.Storage {
			return panicsOnSpace{wrapper{s}}
		}},
		{name: "TruncatesLongKeys", caughtBy: "BadInput/Set/LongKeyStoredOrRejected", wrap: func(s *refStore) session.Storage {
			return truncatesKeys{wrapper{s}}
		}},
		{name: "UnboundedIndex", caughtBy: "Index/BoundedAfterRotations",
			wrap: func(s *refStore) session.Storage { return &appendOnly{wrapper: wrapper{s}, size: map[string]int{}} },
			indexSize: func(st session.Storage, name, audience, subject string) int {
				return st.(*appendOnly).sizeOf(name, audience, subject)
			}},
		{name: "IndexTTLResetByLastWrite", caughtBy: "Index/ItemLivesWhileKeyLives", wrap: func(s *refStore) session.Storage {
			return &indexTTLReset{wrapper: wrapper{s}, until: map[string]time.Time{}}
		}},
		{name: "LongTTLVanishes", caughtBy: "Expiry/LongTTL", wrap: func(s *refStore) session.Storage {
			return longTTLVanishes{wrapper{s}}
		}},
		{name: "UsableAfterClose", caughtBy: "Close/IdempotentThenErrClosed", wrap: func(s *refStore) session.Storage {
			return noopClose{wrapper{s}}
		}},
		{name: "ExpiryNotNowPlusTTL", caughtBy: "Index/ListsKeyWithExpiry", wrap: func(s *refStore) session.Storage {
			return driverClockIndex{wrapper{s}}
		}},
		{name: "FractionOfNowDropped", caughtBy: "Index/ListedWhileReadableAtFractionalNow", wrap: func(s *refStore) session.Storage {
			return truncatesNow{wrapper{s}}
		}},
		{name: "OversizedOverwriteDropsOld", caughtBy: "BadInput/Set/OversizedOverwriteKeepsOld", wrap: func(s *refStore) session.Storage {
			return dropsOnReject{wrapper{s}}
		}},
		{name: "TextOnlyUndeclared", caughtBy: "RoundTrip/AllByteValues", wrap: func(s *refStore) session.Storage {
			return textOnly{wrapper{s}}
		}},
		{name: "RestrictedKeysUndeclared", caughtBy: "RoundTrip/OddKeys", wrap: func(s *refStore) session.Storage {
			return char43{wrapper{s}}
		}},
		{name: "NamesShareKeysUndeclared", caughtBy: "Names/SameKeyUnderTwoNames", wrap: func(s *refStore) session.Storage {
			return oneName{wrapper{s}}
		}},
		{name: "IndexBeforeSession", caughtBy: "Revocation/ConcurrentSetRotateDelete", kv: &kvFaults{indexBeforeSession: true}},
		{name: "SessionBeforeIndexOnDelete", caughtBy: "Revocation/ConcurrentSetRotateDelete", kv: &kvFaults{sessionBeforeIndex: true}},
		{name: "OldKeyShortenedBeforeUnlisted", caughtBy: "Revocation/ConcurrentSetRotateDelete", kv: &kvFaults{oldBeforeIndex: true}},
		{name: "DamageHidesLaterEntries", caughtBy: "Index/DamageHidesNothing", kv: &kvFaults{strictParse: true}},
		{name: "RawNamesCollide", caughtBy: "Names/IndexIsNoSession", kv: &kvFaults{rawNames: true}},
	}
}

// harnessFor builds the harness of a broken driver (or of the reference
// driver when f is nil).
func harnessFor(f *fault, fakeClock bool) conformance.Harness {
	if f != nil && f.kv != nil {
		return kvHarness(*f.kv, fakeClock)
	}
	h := conformance.Harness{
		FakeClock:    fakeClock,
		Capabilities: conformance.Capabilities{MaxValueSize: maxValue},
	}
	h.NewStorage = func(t *testing.T, now func() time.Time) session.Storage {
		ref := newRefStore(now)
		if f == nil {
			return ref
		}
		return f.wrap(ref)
	}
	h.Capabilities.IndexSize = func(ctx context.Context, st session.Storage, name, audience, subject string) (int, error) {
		if f != nil && f.indexSize != nil {
			return f.indexSize(st, name, audience, subject), nil
		}
		if s, ok := st.(*refStore); ok {
			return s.indexSize(name, audience, subject), nil
		}
		return st.(interface{ ref() *refStore }).ref().indexSize(name, audience, subject), nil
	}
	return h
}

// kvHarness is the harness of a kvStore with faults f (none: correct).
func kvHarness(f kvFaults, fakeClock bool) conformance.Harness {
	return conformance.Harness{
		FakeClock: fakeClock,
		NewStorage: func(t *testing.T, now func() time.Time) session.Storage {
			return newKVStore(now, f)
		},
		Capabilities: conformance.Capabilities{
			IndexSize: func(_ context.Context, s session.Storage, name, audience, subject string) (int, error) {
				return s.(*kvStore).indexSize(name, audience, subject), nil
			},
		},
		DamageIndex: func(_ context.Context, s session.Storage, name, audience, subject string) error {
			return s.(*kvStore).damageIndex(name, audience, subject)
		},
	}
}
