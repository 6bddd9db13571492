// Command sqlratio reads the output of a SQL driver's benchmarks
// (go test -bench, any number of runs): Benchmark<name> with
// sub-benchmarks op=…/store=…, and Benchmark<name>Paired with op=…/peer=….
// It prints, per operation, the median time of every store, our throughput
// relative to the floor (the raw client running the driver's statements)
// and to the peer (above 1: ours is faster), the same ratio in client CPU
// time, the round trips per operation, and the paired measurements.
//
//	go run ./cmd/sqlratio -driver mysql results/mysql-run.txt
//	go run ./cmd/sqlratio -driver postgres results/postgres-run.txt
//
// -driver picks the benchmark and stores of bench/mysql (the default) or
// bench/postgres; -bench, -stores, -floor and -peer override them, for
// another driver's benchmarks.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sessionstore/sessionstore/bench/benchtable"
)

// profile names a benchmark and its stores.
type profile struct {
	bench       string   // "MySQL": BenchmarkMySQL and BenchmarkMySQLPaired
	stores      []string // in column order; the first is ours
	floor, peer string
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// profiles are the SQL drivers' benchmarks (bench/mysql, bench/postgres):
// raw database/sql and pgx run the driver's own statements (the floor),
// scs's stores are the peers.
var profiles = map[string]profile{
	"mysql":    {bench: "MySQL", stores: []string{"ours", "ours-lua", "sql", "mysqlstore"}, floor: "sql", peer: "mysqlstore"},
	"postgres": {bench: "Postgres", stores: []string{"ours", "ours-lua", "pgx", "pgxstore"}, floor: "pgx", peer: "pgxstore"},
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("sqlratio", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var p profile
	var driver, stores string
	fs.StringVar(&driver, "driver", "mysql", "mysql or postgres: the defaults of the flags below")
	fs.StringVar(&p.bench, "bench", "", "benchmark name without the Benchmark prefix")
	fs.StringVar(&stores, "stores", "", "stores in column order, ours first")
	fs.StringVar(&p.floor, "floor", "", "the raw client running the driver's statements")
	fs.StringVar(&p.peer, "peer", "", "the peer store")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("sqlratio: %w", err)
	}
	def, ok := profiles[driver]
	if !ok {
		return fmt.Errorf("sqlratio: -driver %q: want mysql or postgres", driver)
	}
	p.stores = def.stores
	if stores != "" {
		p.stores = strings.Split(stores, ",")
	}
	for _, f := range []struct {
		v   *string
		def string
	}{{&p.bench, def.bench}, {&p.floor, def.floor}, {&p.peer, def.peer}} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	r := stdin
	if files := fs.Args(); len(files) > 0 {
		var rs []io.Reader
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("sqlratio: %w", err)
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
	return p.write(res, stdout)
}

var errNoResults = errors.New("sqlratio: no results of the benchmark in the input")

func (p profile) write(res []benchtable.Result, w io.Writer) error {
	byOp := map[string]map[string]map[string]float64{} // op → store → medians
	var ops []string
	samples := 0
	var paired []benchtable.Result
	for _, x := range res {
		if strings.HasPrefix(x.Name, p.bench+"Paired/") {
			paired = append(paired, x)
			continue
		}
		op, store, ok := split(x.Name, p.bench+"/", "store")
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
		return errNoResults
	}
	if len(paired) > 0 {
		p.writePaired(w, paired)
	}
	if len(ops) == 0 {
		return nil
	}
	ours := p.stores[0]
	fmt.Fprintf(w, "Medians of %d runs; µs per operation (wall time), ratios of throughput (their time / ours: above 1, ours is faster).\n\n", samples)
	fmt.Fprintf(w, "| operation | %s | %s ÷ %s | %s ÷ %s | %s ÷ %s, client CPU | round trips (%s / %s / %s) |\n",
		strings.Join(p.stores, " | "), ours, p.floor, ours, p.peer, ours, p.floor, ours, p.floor, p.peer)
	fmt.Fprintln(w, "|---|"+strings.Repeat("---:|", len(p.stores)+3)+"---|")
	for _, op := range ops {
		m := byOp[op]
		cells := []string{op}
		for _, s := range p.stores {
			cells = append(cells, micro(m[s], "ns/op"))
		}
		cells = append(cells, ratio(m[p.floor], m[ours], "ns/op"), ratio(m[p.peer], m[ours], "ns/op"), ratio(m[p.floor], m[ours], "cpu-ns/op"))
		cells = append(cells, fmt.Sprintf("%s / %s / %s", trips(m[ours]), trips(m[p.floor]), trips(m[p.peer])))
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
	return nil
}

// writePaired prints the paired benchmark: ours and a peer call by call
// under the same load, medians of per-call times.
func (p profile) writePaired(w io.Writer, res []benchtable.Result) {
	fmt.Fprintf(w, "Ours against a peer call by call (Benchmark%sPaired: alternating calls, median per call; medians of %d runs).\n\n", p.bench, res[0].Samples)
	fmt.Fprintln(w, "| operation | peer | ours µs | peer µs | ours ÷ peer (throughput) |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|")
	for _, x := range res {
		op, peer, _ := split(x.Name, p.bench+"Paired/", "peer")
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", op, peer, micro(x.Median, "ours-ns/op"), micro(x.Median, "peer-ns/op"), times(x.Median, "peer/ours"))
	}
	fmt.Fprintln(w)
}

// split turns "MySQL/op=ReadMetadata/sessions=10/store=sql" (prefix
// "MySQL/", key "store") into ("ReadMetadata sessions=10", "sql").
func split(name, prefix, key string) (op, who string, ok bool) {
	if !strings.HasPrefix(name, prefix) {
		return "", "", false
	}
	var opParts []string
	for _, part := range strings.Split(strings.TrimPrefix(name, prefix), "/") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case key:
			who = v
		case "op":
			opParts = append(opParts, v)
		default:
			opParts = append(opParts, part)
		}
	}
	return strings.Join(opParts, " "), who, who != ""
}

func micro(m map[string]float64, unit string) string {
	v, ok := m[unit]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.0f", v/1000)
}

func times(m map[string]float64, unit string) string {
	v, ok := m[unit]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
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
