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

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(nil, strings.NewReader(sample), &out))
	got := out.String()
	assert.Contains(t, got, "Medians of 2 runs")
	assert.Contains(t, got, "| operation | ours | ours-lua | sql | mysqlstore | ours ÷ sql | ours ÷ mysqlstore | ours ÷ sql, client CPU | round trips (ours / sql / mysqlstore) |")
	assert.Contains(t, got, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	assert.Contains(t, got, "| Get | 110 | – | 110 | 121 | 1.00× | 1.10× | 0.97× | 1 / 1 / 1 |")
	assert.Contains(t, got, "| ReadMetadata sessions=10 | 500 | – | 400 | – | 0.80× | – | – | 1 / 1 / – |")
	assert.NotContains(t, got, "Other")
	assert.Contains(t, got, "| Get | sql | 60 | 63 | 1.05× |")
	assert.Contains(t, got, "| ReadMetadata sessions=10 | sql | 200 | 190 | 0.95× |")
}

func TestRunOtherProfile(t *testing.T) {
	pg := strings.NewReplacer("MySQL", "Postgres", "store=sql", "store=pgx", "peer=sql", "peer=pgx", "mysqlstore", "pgxstore").Replace(sample)
	var out bytes.Buffer
	require.NoError(t, run([]string{"-bench", "Postgres", "-stores", "ours,ours-lua,pgx,pgxstore", "-floor", "pgx", "-peer", "pgxstore"}, strings.NewReader(pg), &out))
	assert.Contains(t, out.String(), "| Get | 110 | – | 110 | 121 | 1.00× | 1.10× | 0.97× | 1 / 1 / 1 |")
	assert.Contains(t, out.String(), "| Get | pgx | 60 | 63 | 1.05× |")
}

// -driver postgres reads bench/postgres's output (the former pgratio).
func TestRunPostgres(t *testing.T) {
	pg := strings.NewReplacer("MySQL", "Postgres", "store=sql", "store=pgx", "peer=sql", "peer=pgx", "mysqlstore", "pgxstore").Replace(sample)
	var out bytes.Buffer
	require.NoError(t, run([]string{"-driver", "postgres"}, strings.NewReader(pg), &out))
	got := out.String()
	assert.Contains(t, got, "Medians of 2 runs")
	assert.Contains(t, got, "| operation | ours | ours-lua | pgx | pgxstore | ours ÷ pgx | ours ÷ pgxstore | ours ÷ pgx, client CPU | round trips (ours / pgx / pgxstore) |")
	assert.Contains(t, got, "| Get | 110 | – | 110 | 121 | 1.00× | 1.10× | 0.97× | 1 / 1 / 1 |")
	assert.Contains(t, got, "| ReadMetadata sessions=10 | 500 | – | 400 | – | 0.80× | – | – | 1 / 1 / – |")
	assert.NotContains(t, got, "Other")
	assert.Contains(t, got, "| Get | pgx | 60 | 63 | 1.05× |")
	assert.Contains(t, got, "| ReadMetadata sessions=10 | pgx | 200 | 190 | 0.95× |")
}

func TestRunWithoutResults(t *testing.T) {
	assert.Error(t, run([]string{"-driver", "oracle"}, strings.NewReader(""), &bytes.Buffer{}))
	assert.Error(t, run([]string{"-driver", "postgres"}, strings.NewReader("PASS\n"), &bytes.Buffer{}))
	assert.ErrorIs(t, run(nil, strings.NewReader("PASS\n"), &bytes.Buffer{}), errNoResults)
	assert.Error(t, run([]string{"-nope"}, strings.NewReader(""), &bytes.Buffer{}))
	assert.Error(t, run([]string{"/no/such/file"}, strings.NewReader(""), &bytes.Buffer{}))
}
