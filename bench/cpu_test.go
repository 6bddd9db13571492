package bench

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used so far, user and system,
// all threads (GC workers included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter reports CPU nanoseconds per operation as "cpu-ns/op". On a
// machine shared with other work, wall time per op swings with the load
// while CPU time per op mostly does not, so both are reported. For the
// memcached targets it counts only the client's side (the server is
// another process), which is exactly the overhead a driver adds.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{cpuTime()} }

func (m cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-m.start)/float64(b.N), "cpu-ns/op")
	}
}
