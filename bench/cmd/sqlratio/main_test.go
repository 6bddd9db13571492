package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
BenchmarkMySQL/op=Get/store=ours-2         10000   100000 ns/op   30000 cpu-ns/op   1.000 trips/op
BenchmarkMySQL/op=Get/store=ours-2         10000   120000 ns/op   32000 cpu-ns/op   1.000 trips/op
BenchmarkMySQL/op=Get/store=sql-2          10000   110000 ns/op   30000 cpu-ns/op   1.000 trips/op
BenchmarkMySQL/op=Get/store=mysqlstore-2   10000   121000 ns/op   33000 cpu-ns/op   1.000 trips/op
BenchmarkMySQL/op=ReadMetadata/sessions=10/store=ours-2  100  500000 ns/op  1.000 trips/op
BenchmarkMySQL/op=ReadMetadata/sessions=10/store=sql-2   100  400000 ns/op  1.000 trips/op
BenchmarkOther/op=Get/store=ours-2  1  1 ns/op
BenchmarkMySQLPaired/op=Get/peer=sql-2  1000  500000 ns/op  60000 ours-ns/op  63000 peer-ns/op  1.05 peer/ours
BenchmarkMySQLPaired/op=ReadMetadata/sessions=10/peer=sql-2  1000  500000 ns/op  200000 ours-ns/op  190000 peer-ns/op  0.95 peer/ours
`

// pgSample is sample as bench/postgres writes it.
var pgSample = strings.NewReplacer("MySQL", "Postgres", "store=sql", "store=pgx", "peer=sql", "peer=pgx", "mysqlstore", "pgxstore").Replace(sample)

// TestRun reads each driver's output with its -driver defaults (mysql by
// default; postgres was pgratio's).
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		args               []string
		input, floor, peer string
	}{
		{nil, sample, "sql", "mysqlstore"},
		{[]string{"-driver", "postgres"}, pgSample, "pgx", "pgxstore"},
	} {
		var out bytes.Buffer
		require.NoError(t, run(tc.args, strings.NewReader(tc.input), &out))
		got := out.String()
		f, p := tc.floor, tc.peer
		assert.Contains(t, got, "Medians of 2 runs")
		assert.Contains(t, got, "| operation | ours | ours-lua | "+f+" | "+p+" | ours ÷ "+f+" | ours ÷ "+p+" | ours ÷ "+f+", client CPU | round trips (ours / "+f+" / "+p+") |")
		assert.Contains(t, got, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
		assert.Contains(t, got, "| Get | 110 | – | 110 | 121 | 1.00× | 1.10× | 0.97× | 1 / 1 / 1 |")
		assert.Contains(t, got, "| ReadMetadata sessions=10 | 500 | – | 400 | – | 0.80× | – | – | 1 / 1 / – |")
		assert.NotContains(t, got, "Other")
		assert.Contains(t, got, "| Get | "+f+" | 60 | 63 | 1.05× |")
		assert.Contains(t, got, "| ReadMetadata sessions=10 | "+f+" | 200 | 190 | 0.95× |")
	}
}

func TestRunOtherProfile(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-bench", "Postgres", "-stores", "ours,ours-lua,pgx,pgxstore", "-floor", "pgx", "-peer", "pgxstore"}, strings.NewReader(pgSample), &out))
	assert.Contains(t, out.String(), "| Get | 110 | – | 110 | 121 | 1.00× | 1.10× | 0.97× | 1 / 1 / 1 |")
	assert.Contains(t, out.String(), "| Get | pgx | 60 | 63 | 1.05× |")
}

func TestRunWithoutResults(t *testing.T) {
	assert.Error(t, run([]string{"-driver", "oracle"}, strings.NewReader(""), &bytes.Buffer{}))
	assert.Error(t, run([]string{"-driver", "postgres"}, strings.NewReader("PASS\n"), &bytes.Buffer{}))
	assert.ErrorIs(t, run(nil, strings.NewReader("PASS\n"), &bytes.Buffer{}), errNoResults)
	assert.Error(t, run([]string{"-nope"}, strings.NewReader(""), &bytes.Buffer{}))
	assert.Error(t, run([]string{"/no/such/file"}, strings.NewReader(""), &bytes.Buffer{}))
}
