package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
BenchmarkPostgres/op=Get/store=ours-2      10000   100000 ns/op   30000 cpu-ns/op   1.000 trips/op
BenchmarkPostgres/op=Get/store=ours-2      10000   120000 ns/op   32000 cpu-ns/op   1.000 trips/op
BenchmarkPostgres/op=Get/store=pgx-2       10000   110000 ns/op   30000 cpu-ns/op   1.000 trips/op
BenchmarkPostgres/op=Get/store=pgxstore-2  10000   121000 ns/op   33000 cpu-ns/op   1.000 trips/op
BenchmarkPostgres/op=ReadMetadata/sessions=10/store=ours-2  100  500000 ns/op  1.000 trips/op
BenchmarkPostgres/op=ReadMetadata/sessions=10/store=pgx-2   100  400000 ns/op  1.000 trips/op
BenchmarkOther/op=Get/store=ours-2  1  1 ns/op
BenchmarkPostgresPaired/op=Get/peer=pgx-2  1000  500000 ns/op  60000 ours-ns/op  63000 peer-ns/op  1.05 peer/ours
BenchmarkPostgresPaired/op=ReadMetadata/sessions=10/peer=pgx-2  1000  500000 ns/op  200000 ours-ns/op  190000 peer-ns/op  0.95 peer/ours
`

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(nil, strings.NewReader(sample), &out))
	got := out.String()
	assert.Contains(t, got, "Medians of 2 runs")
	assert.Contains(t, got, "| Get | 110 | – | 110 | 121 | 1.00× | 1.10× | 0.97× | 1 / 1 / 1 |")
	assert.Contains(t, got, "| ReadMetadata sessions=10 | 500 | – | 400 | – | 0.80× | – | – | 1 / 1 / – |")
	assert.NotContains(t, got, "Other")
	assert.Contains(t, got, "| Get | pgx | 60 | 63 | 1.05× |")
	assert.Contains(t, got, "| ReadMetadata sessions=10 | pgx | 200 | 190 | 0.95× |")
}

func TestRunWithoutResults(t *testing.T) {
	assert.Error(t, run(nil, strings.NewReader("PASS\n"), &bytes.Buffer{}))
}
