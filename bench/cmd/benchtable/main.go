// Command benchtable reads `go test -bench` output on stdin (or from the
// files named as arguments) and prints a markdown table with the median of
// every metric per benchmark.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sessionstore/sessionstore/bench/benchtable"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(files []string, stdin io.Reader, stdout io.Writer) error {
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
	return benchtable.WriteMarkdown(stdout, res, units)
}
