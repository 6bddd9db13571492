// Command benchtable reads `go test -bench` output on stdin (or from the
// files named as arguments) and prints a markdown table with the median of
// every metric per benchmark. With -compare KEY it prints instead, for each
// benchmark that has KEY=ours, our median (of -unit, default ns/op) next to
// the fastest peer's.
//
//	go run ./cmd/benchtable results/run.txt
//	go run ./cmd/benchtable -compare store results/run.txt
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sessionstore/sessionstore/bench/benchtable"
)

func main() {
	compare := flag.String("compare", "", "name element to compare ours against peers on (e.g. store)")
	unit := flag.String("unit", "ns/op", "with -compare: the lower-is-better unit compared")
	flag.Parse()
	if err := run(flag.Args(), *compare, *unit, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(files []string, compare, unit string, stdin io.Reader, stdout io.Writer) error {
	readers := []io.Reader{stdin}
	if len(files) > 0 {
		readers = readers[:0]
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return fmt.Errorf("benchtable: %w", err)
			}
			defer f.Close()
			readers = append(readers, f)
		}
	}
	res, units, err := benchtable.Parse(io.MultiReader(readers...))
	if err != nil {
		return err
	}
	if compare != "" {
		return benchtable.WriteComparison(stdout, benchtable.Compare(res, compare, "ours", unit), unit)
	}
	return benchtable.WriteMarkdown(stdout, res, units)
}
