// Package benchtable turns `go test -bench` output into a markdown table of
// medians: one row per benchmark, one column per unit (ns/op, B/op, …),
// each cell the median over the -count runs. It is what bench/run.sh uses
// to summarise a run; benchstat gives the confidence intervals.
//
//	go test -run '^$' -bench . -count 6 | go run ./cmd/benchtable
package benchtable

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Result is one benchmark's medians.
type Result struct {
	// Name is the benchmark's name without "Benchmark" and without the
	// -GOMAXPROCS suffix, e.g. "Memory/op=Get/store=scs".
	Name string
	// Samples is how many result lines were read for it.
	Samples int
	// Median maps a unit ("ns/op", "B/op", "allocs/op", …) to the median of
	// its values.
	Median map[string]float64
}

// Parse reads benchmark result lines from r, ignoring every other line,
// and returns one Result per benchmark in the order first seen, with the
// units in the order first seen.
func Parse(r io.Reader) ([]Result, []string, error) {
	samples := map[string]map[string][]float64{}
	var names, units []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		name, vals, ok := parseLine(sc.Text())
		if !ok {
			continue
		}
		m, seen := samples[name]
		if !seen {
			m = map[string][]float64{}
			samples[name] = m
			names = append(names, name)
		}
		for _, v := range vals {
			if !slices.Contains(units, v.unit) {
				units = append(units, v.unit)
			}
			m[v.unit] = append(m[v.unit], v.value)
		}
		m[""] = append(m[""], 0) // sample counter
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("benchtable: read: %w", err)
	}
	out := make([]Result, 0, len(names))
	for _, n := range names {
		m := samples[n]
		res := Result{Name: n, Samples: len(m[""]), Median: map[string]float64{}}
		for u, vs := range m {
			if u != "" {
				res.Median[u] = median(vs)
			}
		}
		out = append(out, res)
	}
	return out, units, nil
}

type measurement struct {
	value float64
	unit  string
}

// parseLine reads "BenchmarkName-8  1000  123 ns/op  45 B/op …".
func parseLine(line string) (string, []measurement, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return "", nil, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return "", nil, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	var vals []measurement
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return "", nil, false
		}
		vals = append(vals, measurement{v, f[i+1]})
	}
	return name, vals, len(vals) > 0
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// WriteMarkdown writes results as a markdown table with one column per
// unit; a benchmark without a unit gets an empty cell.
func WriteMarkdown(w io.Writer, results []Result, units []string) error {
	var b strings.Builder
	b.WriteString("| benchmark | runs |")
	for _, u := range units {
		b.WriteString(" " + u + " |")
	}
	b.WriteString("\n|---|---:|")
	for range units {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d |", r.Name, r.Samples)
		for _, u := range units {
			if v, ok := r.Median[u]; ok {
				b.WriteString(" " + Format(v) + " |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("benchtable: write: %w", err)
	}
	return nil
}

// Format prints v with about three significant digits and no exponent.
func Format(v float64) string {
	switch a := max(v, -v); {
	case a >= 100 || a == 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
