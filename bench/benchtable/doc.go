// Package benchtable turns `go test -bench` output into a markdown table of
// medians: one row per benchmark, one column per unit (ns/op, B/op, …),
// each cell the median over the -count runs. It is what bench/run.sh uses
// to summarise a run; benchstat gives the confidence intervals.
//
//	go test -run '^$' -bench . -count 6 | go run ./cmd/benchtable
package benchtable
