#!/usr/bin/env bash
# Runs every benchmark of the bench module in one go on loopback and writes
#   results/<UTC stamp>.txt   raw `go test -bench` output (feed it to benchstat)
#   results/<UTC stamp>.md    machine, medians, comparisons, round trips, memory
#   results/latest.md         a copy of the last report
# It starts its own memcached (/usr/bin/memcached, or $MEMCACHED) on a free
# loopback port and stops it by PID when done, whatever happens.
#
# Knobs (environment): COUNT (runs per benchmark, default 6), BENCHTIME
# (default 1s), OURS_BENCHTIME (rotation/metadata/delete, default 0.5s),
# MEMSIZE_N (sessions for the memory tool, default 1000000,750000), BENCH_PEERS and
# BENCH_OURS (the -bench regexps of the two passes, to run a subset).
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
OURS_BENCHTIME=${OURS_BENCHTIME:-0.5s}
MEMSIZE_N=${MEMSIZE_N:-1000000,750000}
BENCH_PEERS=${BENCH_PEERS:-'^Benchmark(Memory|Memcached)$'}
BENCH_OURS=${BENCH_OURS:-'^BenchmarkOurs$'}
MEMCACHED=${MEMCACHED:-$(command -v memcached || echo /usr/bin/memcached)}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

[ -x "$MEMCACHED" ] || { echo "run.sh: no memcached binary at $MEMCACHED (apt-get install memcached, or set MEMCACHED)" >&2; exit 1; }

free_port

MC_PID=""
cleanup() { if [ -n "$MC_PID" ]; then kill "$MC_PID" 2>/dev/null || true; wait "$MC_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT INT TERM
# -m 2048: a million 1 KiB sessions fit; -t 2: this is a 2-core box.
"$MEMCACHED" -u "$(id -un)" -l 127.0.0.1 -p "$PORT" -U 0 -m 2048 -t 2 -c 4096 &
MC_PID=$!
wait_answer memcached "$MC_PID" version VERSION
export SESSIONSTORE_BENCH_MEMCACHED=127.0.0.1:$PORT

mkdir -p results
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
RAW=results/$STAMP.txt
REPORT=results/$STAMP.md
echo "run.sh: memcached pid $MC_PID on $SESSIONSTORE_BENCH_MEMCACHED; writing $RAW and $REPORT"

go build -o /dev/null ./... # fail early, before the long part
BINDIR=$(mktemp -d)
trap 'cleanup; rm -rf "$BINDIR"' EXIT INT TERM
go test -c -o "$BINDIR/bench.test" .
# Every adapter must read back what it wrote before any number counts.
"$BINDIR/bench.test" -test.run '^TestTargets$' -test.count 1
# The runs are interleaved: each round runs every benchmark once, in a
# fresh process, so a burst of load on a shared machine hits every store
# alike instead of all the samples of one store.
: > "$RAW"
for round in $(seq "$COUNT"); do
  echo "run.sh: round $round of $COUNT" >&2
  "$BINDIR/bench.test" -test.run '^$' -test.bench "$BENCH_PEERS" -test.benchmem -test.count 1 -test.benchtime "$BENCHTIME" -test.timeout 0 2>&1 | tee -a "$RAW"
  "$BINDIR/bench.test" -test.run '^$' -test.bench "$BENCH_OURS" -test.benchmem -test.count 1 -test.benchtime "$OURS_BENCHTIME" -test.timeout 0 2>&1 | tee -a "$RAW"
done
check_raw "$RAW"

machine
{
  echo "# Benchmark run $STAMP"
  echo
  echo "- CPU: $cpu ($(grep -m1 '^cpu' "$RAW" | cut -d: -f2- | sed 's/^ *//; s/ *$//')), $(nproc) cores, $mem RAM, $(uname -sr)"
  echo "- $(go version | cut -d' ' -f3-), memcached $("$MEMCACHED" -V | cut -d' ' -f2) on 127.0.0.1 (-m 2048 -t 2)"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- COUNT=$COUNT BENCHTIME=$BENCHTIME OURS_BENCHTIME=$OURS_BENCHTIME MEMSIZE_N=$MEMSIZE_N; raw output: $(basename "$RAW")"
  echo
  echo "## Ours against the fastest peer (medians; speed-up above 1 means we lead)"
  echo
  echo "Wall time per operation:"
  echo
  go run ./cmd/benchtable -compare store "$RAW"
  echo
  echo "CPU time per operation (this process only: for memcached, the client's own cost):"
  echo
  go run ./cmd/benchtable -compare store -unit cpu-ns/op "$RAW"
  echo
  echo "## Medians of every benchmark"
  echo
  go run ./cmd/benchtable "$RAW"
  echo
  echo "## Round trips per operation (memcached driver, counted by a proxy)"
  echo
  go run ./cmd/roundtrips
  echo
  echo "## Heap bytes per live session (memory stores, 43-byte keys)"
  echo
  go run ./cmd/memsize -n "$MEMSIZE_N"
  echo
  echo "## benchstat"
  echo
  echo '```'
  go run "$BENCHSTAT" -col /store "$RAW" 2>&1 || echo "(benchstat unavailable)"
  echo '```'
} > "$REPORT"
cp "$REPORT" results/latest.md
echo "run.sh: done: $REPORT"
