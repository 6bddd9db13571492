// Command pgratio reads the output of bench/postgres's BenchmarkPostgres
// (go test -bench, any number of runs) and prints, per operation, the
// median time of every store, our throughput relative to raw pgx running
// the same statements and to scs's pgxstore (above 1: ours is faster), the
// same ratio in client CPU time, and the round trips per operation.
//
//	go run ./cmd/pgratio results/postgres-run.txt
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sessionstore/sessionstore/bench/benchtable"
)

// stores, in column order.
var stores = []string{"ours", "ours-lua", "pgx", "pgxstore"}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(files []string, stdin io.Reader, stdout io.Writer) error {
	r := stdin
	if len(files) > 0 {
		var rs []io.Reader
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("pgratio: %w", err)
			}
			defer f.Close()
			rs = append(rs, f)
		}
		r = io.MultiReader(rs...)
	}
	res, _, err := benchtable.Parse(r)
	if err != nil {
		return err
	}
	// op → store → medians
	byOp := map[string]map[string]map[string]float64{}
	var ops []string
	samples := 0
	var paired []benchtable.Result
	for _, x := range res {
		if strings.HasPrefix(x.Name, "PostgresPaired/") {
			paired = append(paired, x)
			continue
		}
		op, store, ok := split(x.Name)
		if !ok {
			continue
		}
		if byOp[op] == nil {
			byOp[op] = map[string]map[string]float64{}
			ops = append(ops, op)
		}
		byOp[op][store] = x.Median
		samples = max(samples, x.Samples)
	}
	if len(ops) == 0 && len(paired) == 0 {
		return fmt.Errorf("pgratio: no BenchmarkPostgres results in the input")
	}
	if len(paired) > 0 {
		writePaired(stdout, paired)
	}
	if len(ops) == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "Medians of %d runs; µs per operation (wall time), ratios of throughput (their time / ours: above 1, ours is faster).\n\n", samples)
	fmt.Fprintln(stdout, "| operation | ours | ours-lua | pgx | pgxstore | ours ÷ pgx | ours ÷ pgxstore | ours ÷ pgx, client CPU | round trips (ours / pgx / pgxstore) |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, op := range ops {
		m := byOp[op]
		cells := []string{op}
		for _, s := range stores {
			cells = append(cells, micro(m[s], "ns/op"))
		}
		cells = append(cells, ratio(m["pgx"], m["ours"], "ns/op"), ratio(m["pgxstore"], m["ours"], "ns/op"), ratio(m["pgx"], m["ours"], "cpu-ns/op"))
		cells = append(cells, fmt.Sprintf("%s / %s / %s", trips(m["ours"]), trips(m["pgx"]), trips(m["pgxstore"])))
		fmt.Fprintln(stdout, "| "+strings.Join(cells, " | ")+" |")
	}
	return nil
}

// writePaired prints BenchmarkPostgresPaired: ours and a peer call by
// call under the same load, medians of per-call times.
func writePaired(w io.Writer, res []benchtable.Result) {
	fmt.Fprintf(w, "Ours against a peer call by call (BenchmarkPostgresPaired: alternating calls, median per call; medians of %d runs).\n\n", res[0].Samples)
	fmt.Fprintln(w, "| operation | peer | ours µs | peer µs | ours ÷ peer (throughput) |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|")
	for _, x := range res {
		op, peer, _ := splitPaired(x.Name)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", op, peer, micro(x.Median, "ours-ns/op"), micro(x.Median, "peer-ns/op"), times(x.Median, "peer/ours"))
	}
	fmt.Fprintln(w)
}

// splitPaired turns "PostgresPaired/op=ReadMetadata/sessions=10/peer=pgx"
// into ("ReadMetadata sessions=10", "pgx").
func splitPaired(name string) (op, peer string, ok bool) {
	var opParts []string
	for _, p := range strings.Split(strings.TrimPrefix(name, "PostgresPaired/"), "/") {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "peer":
			peer = v
		case "op":
			opParts = append(opParts, v)
		default:
			opParts = append(opParts, p)
		}
	}
	return strings.Join(opParts, " "), peer, peer != ""
}

func times(m map[string]float64, unit string) string {
	v, ok := m[unit]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

// split turns "Postgres/op=ReadMetadata/sessions=10/store=pgx" into
// ("ReadMetadata sessions=10", "pgx").
func split(name string) (op, store string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) < 3 || parts[0] != "Postgres" {
		return "", "", false
	}
	var opParts []string
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "store":
			store = v
		case "op":
			opParts = append(opParts, v)
		default:
			opParts = append(opParts, p)
		}
	}
	return strings.Join(opParts, " "), store, store != ""
}

func micro(m map[string]float64, unit string) string {
	v, ok := m[unit]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.0f", v/1000)
}

func ratio(theirs, ours map[string]float64, unit string) string {
	t, ok1 := theirs[unit]
	o, ok2 := ours[unit]
	if !ok1 || !ok2 || o == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", t/o)
}

func trips(m map[string]float64) string {
	v, ok := m["trips/op"]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2g", v)
}
