package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionstore/sessionstore/session"
)

// secrets are the session keys and values a subtest used; none may appear
// in an error (contract 2.13).
type secrets struct {
	mu   sync.Mutex
	list []string
	pos  map[string]int // index in list
}

func (s *secrets) add(v string) {
	s.mu.Lock()
	if s.pos == nil {
		s.pos = map[string]int{}
	}
	s.pos[v] = len(s.list)
	s.list = append(s.list, v)
	s.mu.Unlock()
}

// leaked returns a description of the first secret in msg, or "".
func (s *secrets) leaked(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range s.list {
		if strings.Contains(msg, v) {
			return describe(i, v)
		}
	}
	return ""
}

// redact returns msg with every secret replaced by its description, so that
// a report of a leak does not repeat it.
func (s *secrets) redact(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, v := range s.list {
		if strings.Contains(msg, v) {
			msg = strings.ReplaceAll(msg, v, "<"+describe(i, v)+">")
		}
	}
	return msg
}

func describe(i int, secret string) string {
	if strings.HasPrefix(secret, "value-") {
		return fmt.Sprintf("session value #%d", i)
	}
	return fmt.Sprintf("session key #%d", i)
}

// redactedError is a driver error that quoted a secret: it prints redacted
// and still matches, with errors.Is and errors.As, what the original matched.
type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }

// label names a key in failure messages without printing it: a failing
// driver's log is still a log.
func (s *secrets) label(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.pos[k]; ok {
		return fmt.Sprintf("key #%d", i)
	}
	return fmt.Sprintf("unknown key of %d bytes", len(k))
}

// errPanicked replaces the result of a call that panicked.
var errPanicked = errors.New("conformance: the driver panicked")

// checked wraps the Storage under test: it turns a panic into a test
// failure (contract 2.15) and fails the test when an error contains a
// session key or value (contract 2.13). It is safe for concurrent use.
type checked struct {
	t   *testing.T
	s   session.Storage
	sec *secrets
}

func (c *checked) guard(op string, err *error) {
	if r := recover(); r != nil {
		c.t.Errorf("contract 2.15: %s panicked: %v", op, r)
		*err = errPanicked
		return
	}
	if *err != nil {
		if what := c.sec.leaked((*err).Error()); what != "" {
			// Redacted here and wherever a case prints the error later.
			*err = &redactedError{msg: c.sec.redact((*err).Error()), err: *err}
			c.t.Errorf("contract 2.13: the error of %s contains a %s (a bearer credential must never reach an error): %q", op, what, (*err).Error())
		}
	}
}

func (c *checked) Set(ctx context.Context, name, key string, value []byte, ttl time.Duration, now time.Time, opts session.SetOptions) (err error) {
	defer c.guard("Set", &err)
	return c.s.Set(ctx, name, key, value, ttl, now, opts)
}

func (c *checked) Get(ctx context.Context, name, key string) (_ []byte, err error) {
	defer c.guard("Get", &err)
	return c.s.Get(ctx, name, key)
}

func (c *checked) Delete(ctx context.Context, name, key string, now time.Time, metadata []session.Pair) (err error) {
	defer c.guard("Delete", &err)
	return c.s.Delete(ctx, name, key, now, metadata)
}

func (c *checked) ReadMetadata(ctx context.Context, name, audience, subject string, now time.Time) (_ map[string]time.Time, err error) {
	defer c.guard("ReadMetadata", &err)
	return c.s.ReadMetadata(ctx, name, audience, subject, now)
}

func (c *checked) Close() (err error) {
	defer c.guard("Close", &err)
	return c.s.Close()
}
