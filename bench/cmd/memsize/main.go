// Command memsize measures how many heap bytes each in-memory session store
// keeps per live session: it inserts N sessions (43-byte keys, as
// lua-resty-session's, and values of 100 B and 1 KiB) and reports
// (HeapAlloc after GC − HeapAlloc before) / N, and that minus the key and
// value bytes as the store's overhead. Each (store, size) is measured in a
// fresh child process so that no measurement sees another's garbage.
//
//	go run ./cmd/memsize                   # markdown table, N = 1,000,000 and 750,000
//	go run ./cmd/memsize -n 100000         # quicker
//
// Why two sizes: Go maps grow by doubling, so bytes per entry swing with how
// full the table happens to be. At 1,000,000 entries every store here has
// just grown (a 64-shard store holds 15,625 per shard, just past 7/8 of
// 16,384 slots; a single map just past 7/8 of 2^20), so that is close to the
// worst case; 750,000 is close to the typical one.
package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
	fibermemory "github.com/gofiber/storage/memory/v2"

	"github.com/sessionstore/sessionstore/drivers/memory"
	"github.com/sessionstore/sessionstore/session"
)

const keyLen = 43

// stores maps a name to a constructor returning the insert function and a
// closer; insert must keep the session live for the whole measurement.
var stores = []struct {
	name string
	open func() (insert func(key string, value []byte) error, closeFn func())
}{
	{"ours", func() (func(string, []byte) error, func()) {
		s := memory.New()
		ctx, now := context.Background(), time.Now()
		return func(k string, v []byte) error {
			return s.Set(ctx, "session", k, v, time.Hour, now, session.SetOptions{})
		}, func() { _ = s.Close() }
	}},
	{"scs", func() (func(string, []byte) error, func()) {
		s := memstore.NewWithCleanupInterval(0) // New's sweeper goroutine races with StopCleanup
		exp := time.Now().Add(time.Hour)
		return func(k string, v []byte) error { return s.Commit(k, v, exp) }, s.StopCleanup
	}},
	{"fiber", func() (func(string, []byte) error, func()) {
		s := fibermemory.New()
		return func(k string, v []byte) error { return s.Set(k, v, time.Hour) }, func() { _ = s.Close() }
	}},
}

var sizes = []int{100, 1024}

// result is one child's answer, one JSON line on stdout.
type result struct {
	Store     string  `json:"store"`
	Size      int     `json:"size"`
	N         int     `json:"n"`
	PerEntry  float64 `json:"per_entry"`
	Overhead  float64 `json:"overhead"`
	HeapBytes uint64  `json:"heap_bytes"`
}

func main() {
	ns := flag.String("n", "1000000,750000", "sessions to insert; a comma-separated list measures each")
	store := flag.String("store", "", "measure one store (child mode)")
	size := flag.Int("size", 0, "value size in bytes (child mode)")
	flag.Parse()
	var err error
	var counts []int
	for _, f := range strings.Split(*ns, ",") {
		n, perr := strconv.Atoi(strings.TrimSpace(f))
		if perr != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "memsize: bad -n %q\n", *ns)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	if *store != "" {
		err = child(os.Stdout, *store, *size, counts[0])
	} else {
		err = parent(os.Stdout, counts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "memsize:", err)
		os.Exit(1)
	}
}

func parent(w io.Writer, counts []int) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	fmt.Fprintf(w, "| store | value | sessions | heap bytes per session | overhead beyond key (%d B) + value |\n|---|---:|---:|---:|---:|\n", keyLen)
	for _, n := range counts {
		for _, st := range stores {
			for _, sz := range sizes {
				out, err := exec.Command(self, "-store", st.name, "-size", strconv.Itoa(sz), "-n", strconv.Itoa(n)).Output()
				if err != nil {
					var ee *exec.ExitError
					if errors.As(err, &ee) {
						return fmt.Errorf("%s/%d: %w: %s", st.name, sz, err, ee.Stderr)
					}
					return fmt.Errorf("%s/%d: %w", st.name, sz, err)
				}
				var r result
				if err := json.Unmarshal(out, &r); err != nil {
					return fmt.Errorf("%s/%d: bad child output %q: %w", st.name, sz, out, err)
				}
				fmt.Fprintf(w, "| %s | %d B | %d | %.0f | %.0f |\n", r.Store, r.Size, r.N, r.PerEntry, r.Overhead)
			}
		}
	}
	return nil
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	for range 3 { // finalizers and sweeping settle after a couple of cycles
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// key returns the i-th key: 43 characters of base64url. Built inside the
// measured region on purpose: a store that keeps the caller's string is
// charged for it, one that copies it is charged for its copy.
func key(i int) string {
	var raw [32]byte
	binary.LittleEndian.PutUint64(raw[:], uint64(i))
	copy(raw[8:], "sessionstore-memsize-key")
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

func child(w io.Writer, name string, size, n int) error {
	for _, st := range stores {
		if st.name != name {
			continue
		}
		debug.SetGCPercent(100)
		insert, closeFn := st.open()
		before := heapAfterGC()
		for i := range n {
			v := make([]byte, size) // fresh, as a request's encoded session would be
			v[0] = byte(i)
			if err := insert(key(i), v); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
		}
		after := heapAfterGC()
		runtime.KeepAlive(insert)
		closeFn()
		per := float64(after-before) / float64(n)
		return json.NewEncoder(w).Encode(result{
			Store: name, Size: size, N: n, PerEntry: per,
			Overhead: per - float64(keyLen+size), HeapBytes: after - before,
		})
	}
	return fmt.Errorf("unknown store %q", name)
}
