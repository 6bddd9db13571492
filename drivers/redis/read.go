package redis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/session"
	"github.com/sessionstore/sessionstore/session/driver"
)

// readIndex lists the live entries of p's index: ZRANGE idx (now +inf
// BYSCORE WITHSCORES, the exclusive bound making an entry that expires at
// now dead (contract 2.8; lua-resty-session reads from now inclusive). The
// scores are Unix seconds; a fraction, which no writer makes, is kept.
func (s *Storage) readIndex(ctx context.Context, p *driver.ReadPlan) (map[string]time.Time, error) {
	zs, err := s.client.ZRangeArgsWithScores(ctx, goredis.ZRangeArgs{
		Key:     p.IndexItem(),
		Start:   "(" + formatInt(p.Now.Unix()),
		Stop:    "+inf",
		ByScore: true,
	}).Result()
	if err != nil {
		err = errorf(ctx, "read metadata", err)
		if errors.Is(err, ErrWrongType) {
			// The item lists nothing this driver can read: damage, which
			// the next write to the index repairs (it replaces the item).
			return map[string]time.Time{}, fmt.Errorf("%w: %w", session.ErrCorruptIndex, err)
		}
		return nil, err
	}
	live := make(map[string]time.Time, len(zs))
	skipped := 0
	for _, z := range zs {
		key, ok := z.Member.(string)
		if !ok || key == "" || !driver.IndexableKey(key) || math.IsNaN(z.Score) || z.Score > maxScore {
			skipped++
			continue
		}
		sec, frac := math.Modf(z.Score)
		live[key] = time.Unix(int64(sec), int64(frac*1e9))
	}
	if skipped > 0 {
		return live, fmt.Errorf("redis: read metadata: %w: %d entries that no writer makes (not a key, or an expiry past the year 9999) were skipped", session.ErrCorruptIndex, skipped)
	}
	return live, nil
}
