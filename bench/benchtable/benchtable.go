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

// Comparison sets one benchmark of ours against its peers: the results
// whose names differ only in the value of one key=value element.
type Comparison struct {
	// Group is the benchmark name with that element's value replaced by "*".
	Group string
	// Ours is our median; Peers maps each peer's value to its median.
	Ours  float64
	Peers map[string]float64
}

// Compare groups results by every name element except key= and, for each
// group that has the value ours, returns our median of unit beside the
// peers' medians.
func Compare(results []Result, key, ours, unit string) []Comparison {
	var out []Comparison
	index := map[string]int{}
	prefix := key + "="
	for _, r := range results {
		parts := strings.Split(r.Name, "/")
		val, pos := "", -1
		for i, p := range parts {
			if v, ok := strings.CutPrefix(p, prefix); ok {
				val, pos = v, i
			}
		}
		m, ok := r.Median[unit]
		if pos < 0 || !ok {
			continue
		}
		parts[pos] = prefix + "*"
		group := strings.Join(parts, "/")
		i, seen := index[group]
		if !seen {
			i = len(out)
			index[group] = i
			out = append(out, Comparison{Group: group, Peers: map[string]float64{}})
		}
		if val == ours {
			out[i].Ours = m
		} else {
			out[i].Peers[val] = m
		}
	}
	kept := out[:0]
	for _, c := range out {
		if c.Ours > 0 && len(c.Peers) > 0 {
			kept = append(kept, c)
		}
	}
	return kept
}

// WriteComparison writes comparisons as a markdown table: our median, the
// fastest peer's, and how many times faster we are (above 1: we lead). It
// assumes a lower-is-better unit such as ns/op.
func WriteComparison(w io.Writer, cs []Comparison, unit string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| benchmark | ours %s | fastest peer | peer %s | speed-up (peer ÷ ours) |\n|---|---:|---|---:|---:|\n", unit, unit)
	for _, c := range cs {
		best, bestV := "", 0.0
		for name, v := range c.Peers {
			if best == "" || v < bestV || (v == bestV && name < best) {
				best, bestV = name, v
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s× |\n", c.Group, Format(c.Ours), best, Format(bestV), Format(bestV/c.Ours))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("benchtable: write: %w", err)
	}
	return nil
}
