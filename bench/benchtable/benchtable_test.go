package benchtable_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionstore/sessionstore/bench/benchtable"
)

const sample = `goos: linux
BenchmarkMemory/op=Get/store=scs-2   	 1000000	       700 ns/op	1400.00 MB/s	       0 B/op	       0 allocs/op
BenchmarkMemory/op=Get/store=scs-2   	 1000000	       900 ns/op	1100.00 MB/s	       0 B/op	       0 allocs/op
BenchmarkMemory/op=Get/store=scs-2   	 1000000	       800 ns/op	1250.00 MB/s	       0 B/op	       0 allocs/op
BenchmarkOurs/op=Rotate-2            	   10000	     30000 ns/op	         3.000 rt/op	     200 B/op	       4 allocs/op
BenchmarkOurs/op=Rotate-2            	   10000	     34000 ns/op	         3.000 rt/op	     220 B/op	       4 allocs/op
--- FAIL: BenchmarkBroken-2
Benchmark line that is not a result
PASS
`

func TestParseMedians(t *testing.T) {
	res, units, err := benchtable.Parse(strings.NewReader(sample))
	require.NoError(t, err)
	assert.Equal(t, []string{"ns/op", "MB/s", "B/op", "allocs/op", "rt/op"}, units)
	require.Len(t, res, 2)

	assert.Equal(t, "Memory/op=Get/store=scs", res[0].Name)
	assert.Equal(t, 3, res[0].Samples)
	assert.InDelta(t, 800, res[0].Median["ns/op"], 1e-9, "odd count: middle value")
	assert.InDelta(t, 1250, res[0].Median["MB/s"], 1e-9)

	assert.Equal(t, "Ours/op=Rotate", res[1].Name)
	assert.Equal(t, 2, res[1].Samples)
	assert.InDelta(t, 32000, res[1].Median["ns/op"], 1e-9, "even count: mean of the middle two")
	assert.InDelta(t, 3, res[1].Median["rt/op"], 1e-9)
	assert.NotContains(t, res[1].Median, "MB/s")
}

func TestParseIgnoresNoise(t *testing.T) {
	res, units, err := benchtable.Parse(strings.NewReader("PASS\nok x 1s\nBenchmarkX-2 notanumber 5 ns/op\nBenchmarkY 10 abc ns/op\n"))
	require.NoError(t, err)
	assert.Empty(t, res)
	assert.Empty(t, units)
}

func TestWriteMarkdown(t *testing.T) {
	res, units, err := benchtable.Parse(strings.NewReader(sample))
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, benchtable.WriteMarkdown(&b, res, units))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, "| benchmark | runs | ns/op | MB/s | B/op | allocs/op | rt/op |", lines[0])
	assert.Equal(t, "| Memory/op=Get/store=scs | 3 | 800 | 1250 | 0 | 0 | |", lines[2])
	assert.Equal(t, "| Ours/op=Rotate | 2 | 32000 | | 210 | 4.00 | 3.00 |", lines[3])
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{{0, "0"}, {1234.56, "1235"}, {42.25, "42.2"}, {3, "3.00"}, {0.01234, "0.0123"}, {-5.5, "-5.50"}} {
		assert.Equal(t, c.want, benchtable.Format(c.in), "%v", c.in)
	}
}

func Example() {
	out := `BenchmarkMemory/op=Get/store=ours-2  1000000  150 ns/op  0 B/op  0 allocs/op
BenchmarkMemory/op=Get/store=ours-2  1000000  170 ns/op  0 B/op  0 allocs/op
BenchmarkMemory/op=Get/store=ours-2  1000000  160 ns/op  0 B/op  0 allocs/op
`
	res, units, _ := benchtable.Parse(strings.NewReader(out))
	_ = benchtable.WriteMarkdown(os.Stdout, res, units)
	// Output:
	// | benchmark | runs | ns/op | B/op | allocs/op |
	// |---|---:|---:|---:|---:|
	// | Memory/op=Get/store=ours | 3 | 160 | 0 | 0 |
}

func TestCompare(t *testing.T) {
	out := `BenchmarkMemory/op=Get/store=ours-2  1  100 ns/op
BenchmarkMemory/op=Get/store=scs-2   1  150 ns/op
BenchmarkMemory/op=Get/store=fiber-2 1  300 ns/op
BenchmarkMemory/op=Set/store=scs-2   1  80 ns/op
BenchmarkMemcached/op=Get/store=ours-2 1  21000 ns/op
BenchmarkMemcached/op=Get/store=gomemcache-2 1  20000 ns/op
BenchmarkOurs/driver=memory/op=Rotate-2 1  900 ns/op
`
	res, _, err := benchtable.Parse(strings.NewReader(out))
	require.NoError(t, err)
	cs := benchtable.Compare(res, "store", "ours", "ns/op")
	require.Len(t, cs, 2, "Set has no ours and Ours/… has no store: both left out")
	assert.Equal(t, benchtable.Comparison{Group: "Memory/op=Get/store=*", Ours: 100, Peers: map[string]float64{"scs": 150, "fiber": 300}}, cs[0])
	assert.Equal(t, "Memcached/op=Get/store=*", cs[1].Group)

	var b strings.Builder
	require.NoError(t, benchtable.WriteComparison(&b, cs, "ns/op"))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, "| Memory/op=Get/store=* | 100 | scs | 150 | 1.50× |", lines[2])
	assert.Equal(t, "| Memcached/op=Get/store=* | 21000 | gomemcache | 20000 | 0.952× |", lines[3])
}
