package redis

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sessionstore/sessionstore/session/driver"
)

// The Cluster path. A session item and its indexes hash to different slots,
// usually on different masters, so no script or transaction can cover them
// together. The driver keeps contract 2.17 by ordering the steps, each of
// them atomic on its own slot (a command, or indexScript on one index):
//
//	Set:    1. the session item (SET … PX);
//	        2. every index at once (one pipeline; go-redis sends each node its
//	           share in parallel): the new entry in, the old key out;
//	        3. the old key: PEXPIRE … LT (or UNLINK with Remember).
//	Delete: 1. every index at once: the key out;
//	        2. the session item (UNLINK).
//
// A session is thus never readable while unlisted, except a rotated-away
// key during its grace period (the contract's one exception). When a step
// fails, the driver undoes what would break that, best effort, on a context
// detached from the caller's (a cancelled request must not leave a session
// readable) and bounded by one connect plus one round trip:
//
//   - Set, step 2 failed: the new session item is deleted again (fail
//     closed), and the old key is listed again where step 2 took it out;
//   - Set, step 3 failed: the old key, still alive for its full TTL, is
//     listed again with its previous expiry;
//   - Delete, either step failed: the key is listed again with its previous
//     expiry where step 1 took it out.
//
// The error of the failed step is returned. Every step is idempotent, so
// go-redis's retries (MOVED, ASK, a dropped connection) are safe.

// indexOp is one index update (indexScript's arguments).
type indexOp struct {
	item  string
	add   string
	score int64
	gt    bool
	rem   string
}

// indexResult is what indexScript returned: rem's previous score.
type indexResult struct {
	prev   string // "" when rem was not listed (or the op failed)
	failed bool
}

func (s *Storage) clusterSet(ctx context.Context, p *driver.SetPlan) error {
	item := p.Item()
	ttl := time.Duration(ceilMillis(p.TTL)) * time.Millisecond
	if len(p.Metadata) == 0 {
		if p.Rotation.Key == "" {
			return errorf(ctx, "set", s.client.Set(ctx, item, p.Value, ttl).Err())
		}
		// Nothing is listed, so the order does not matter: both items in
		// one pipeline. (The closure captures copies, not p, which would
		// then escape on every call.)
		value, old := p.Value, oldStep(p)
		_, err := s.client.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
			pipe.Set(ctx, item, value, ttl)
			old.run(ctx, pipe)
			return nil
		})
		return errorf(ctx, "set", err)
	}

	if err := s.client.Set(ctx, item, p.Value, ttl).Err(); err != nil {
		return errorf(ctx, "set", err)
	}
	ops := make([]indexOp, len(p.Metadata))
	for i := range p.Metadata {
		ops[i] = indexOp{item: p.IndexItem(i), add: p.Key, score: p.Expiry, rem: p.Rotation.Key}
	}
	res, err := s.runIndexes(ctx, ops, p.Now)
	if err != nil {
		s.detached(ctx, func(ctx context.Context) {
			_ = s.client.Unlink(ctx, item).Err()
			s.relist(ctx, ops, res, p.Rotation.Key, p.Now)
		})
		return errorf(ctx, "set", err)
	}
	if p.Rotation.Key == "" {
		return nil
	}
	if err := oldStep(p).run(ctx, s.client).Err(); err != nil {
		s.detached(ctx, func(ctx context.Context) { s.relist(ctx, ops, res, p.Rotation.Key, p.Now) })
		return errorf(ctx, "set", err)
	}
	return nil
}

// oldKeyStep ends the rotated-away key: at once with Remember, else at the
// end of its grace period unless it ends sooner (never created, never
// lengthened; a key without a TTL counts as living forever).
type oldKeyStep struct {
	item     string
	remember bool
	staleMs  int64
}

func oldStep(p *driver.SetPlan) oldKeyStep {
	return oldKeyStep{item: p.OldItem(), remember: p.Rotation.Remember, staleMs: staleMillis(p)}
}

func (o oldKeyStep) run(ctx context.Context, c doer) goredis.Cmder {
	if o.remember {
		return c.Unlink(ctx, o.item)
	}
	return c.Do(ctx, "pexpire", o.item, o.staleMs, "lt")
}

// doer is what oldKeyStep needs of a client or a pipeline.
type doer interface {
	Do(ctx context.Context, args ...any) *goredis.Cmd
	Unlink(ctx context.Context, keys ...string) *goredis.IntCmd
}

func (s *Storage) clusterDelete(ctx context.Context, p *driver.DeletePlan) error {
	ops := make([]indexOp, len(p.Metadata))
	for i := range p.Metadata {
		ops[i] = indexOp{item: p.IndexItem(i), rem: p.Key}
	}
	res, err := s.runIndexes(ctx, ops, p.Now)
	if err == nil {
		err = s.client.Unlink(ctx, p.Item()).Err()
	}
	if err != nil {
		s.detached(ctx, func(ctx context.Context) { s.relist(ctx, ops, res, p.Key, p.Now) })
		return errorf(ctx, "delete", err)
	}
	return nil
}

// runIndexes runs ops, one indexScript each, in one pipeline: go-redis
// splits it by node and sends the parts in parallel. A node that has not
// seen the script yet answers NOSCRIPT; those ops go again as EVAL, which
// also loads it there. It returns each op's result and the first error.
func (s *Storage) runIndexes(ctx context.Context, ops []indexOp, now time.Time) ([]indexResult, error) {
	res := make([]indexResult, len(ops))
	nowSec, nowMs := now.Unix(), now.UnixMilli()
	args := func(op indexOp) []any {
		gt := "0"
		if op.gt {
			gt = "1"
		}
		score := ""
		if op.add != "" {
			score = strconv.FormatInt(op.score, 10)
		}
		return []any{nowSec, nowMs, op.add, score, gt, op.rem}
	}
	if len(ops) == 1 {
		cmd := indexScript.Run(ctx, s.client, []string{ops[0].item}, args(ops[0])...)
		res[0] = result(cmd)
		return res, scriptErr(cmd)
	}
	cmds := make([]*goredis.Cmd, len(ops))
	_, _ = s.client.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
		for i, op := range ops {
			cmds[i] = indexScript.EvalSha(ctx, pipe, []string{op.item}, args(op)...)
		}
		return nil
	})
	var again []int
	for i, cmd := range cmds {
		if goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		_, _ = s.client.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
			for _, i := range again {
				cmds[i] = indexScript.Eval(ctx, pipe, []string{ops[i].item}, args(ops[i])...)
			}
			return nil
		})
	}
	var first error
	for i, cmd := range cmds {
		res[i] = result(cmd)
		if err := scriptErr(cmd); err != nil && first == nil {
			first = err
		}
	}
	return res, first
}

// scriptErr is cmd's error; a nil reply (rem was not listed) is none.
func scriptErr(cmd *goredis.Cmd) error {
	if err := cmd.Err(); err != nil && !errors.Is(err, goredis.Nil) {
		return err
	}
	return nil
}

func result(cmd *goredis.Cmd) indexResult {
	v, err := cmd.Result()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return indexResult{failed: true}
	}
	if s, ok := v.(string); ok {
		return indexResult{prev: s}
	}
	return indexResult{}
}

// relist lists key again, with the expiry indexScript reported it had, in
// each index where an op took it out. ZADD GT: an entry written meanwhile
// with a later expiry is kept.
func (s *Storage) relist(ctx context.Context, ops []indexOp, res []indexResult, key string, now time.Time) {
	if key == "" {
		return
	}
	var undo []indexOp
	for i, op := range ops {
		if i >= len(res) || res[i].prev == "" {
			continue
		}
		score, err := strconv.ParseFloat(res[i].prev, 64)
		if err != nil || score > maxScore {
			continue
		}
		undo = append(undo, indexOp{item: op.item, add: key, score: int64(math.Ceil(score)), gt: true})
	}
	if len(undo) > 0 {
		_, _ = s.runIndexes(ctx, undo, now)
	}
}

// detached runs fn on a context that the caller's cancellation does not
// end, bounded by the Storage's cleanup timeout.
func (s *Storage) detached(ctx context.Context, fn func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cleanup)
	defer cancel()
	fn(ctx)
}
