package mybench

import (
	"testing"

	"github.com/sessionstore/sessionstore/bench/internal/sqlbench"
)

// Every store reads back what it wrote, in one round trip per operation,
// before any of its numbers counts.
func TestTargets(t *testing.T) { sqlbench.CheckTargets(t, targets, false) }
