#!/usr/bin/env bash
# Runs the Redis benchmarks (package redisbench) on loopback and writes
#   ../results/redis-<UTC stamp>.txt   raw `go test -bench` output (feed it to benchstat)
#   ../results/redis-<UTC stamp>.md    machine, comparisons, medians, benchstat
#   ../results/redis-latest.md         a copy of the last report
# It starts its own redis-server (/usr/bin/redis-server, or $REDIS_SERVER) on a free
# loopback port, without persistence, and stops it by PID when done, whatever happens.
#
# Knobs (environment): COUNT (rounds, default 6), BENCHTIME (default 1s), OURS_BENCHTIME
# (default 0.5s), BENCH_REDIS and BENCH_OURS (the -bench regexps of the two passes).
set -euo pipefail
cd "$(dirname "$0")"
. ../lib.sh

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
OURS_BENCHTIME=${OURS_BENCHTIME:-0.5s}
BENCH_REDIS=${BENCH_REDIS:-'^BenchmarkRedis$'}
BENCH_OURS=${BENCH_OURS:-'^BenchmarkRedisOurs$'}
REDIS_SERVER=${REDIS_SERVER:-$(command -v redis-server || echo /usr/bin/redis-server)}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

[ -x "$REDIS_SERVER" ] || { echo "run.sh: no redis-server at $REDIS_SERVER (apt-get install redis-server, or set REDIS_SERVER)" >&2; exit 1; }

free_port

RS_PID=""
BINDIR=$(mktemp -d)
cleanup() {
  if [ -n "$RS_PID" ]; then kill "$RS_PID" 2>/dev/null || true; wait "$RS_PID" 2>/dev/null || true; fi
  rm -rf "$BINDIR"
}
trap cleanup EXIT INT TERM
"$REDIS_SERVER" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$BINDIR" --logfile "$BINDIR/redis.log" &
RS_PID=$!
wait_answer redis-server "$RS_PID" PING +PONG
export SESSIONSTORE_BENCH_REDIS=127.0.0.1:$PORT

mkdir -p ../results
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
RAW=../results/redis-$STAMP.txt
REPORT=../results/redis-$STAMP.md
echo "run.sh: redis-server pid $RS_PID on $SESSIONSTORE_BENCH_REDIS; writing $RAW and $REPORT"

go test -c -o "$BINDIR/redisbench.test" .
# Every adapter must read back what it wrote before any number counts.
"$BINDIR/redisbench.test" -test.run '^TestTargets$' -test.count 1
# Interleaved rounds, each a fresh process: a burst of load on a shared machine hits
# every store alike instead of all the samples of one store; the stores' order rotates,
# so that none is always the first of a process.
: > "$RAW"
for round in $(seq "$COUNT"); do
  echo "run.sh: round $round of $COUNT" >&2
  export SESSIONSTORE_BENCH_ROUND=$round # the stores' order rotates from round to round
  "$BINDIR/redisbench.test" -test.run '^$' -test.bench "$BENCH_REDIS" -test.benchmem -test.count 1 -test.benchtime "$BENCHTIME" -test.timeout 0 2>&1 | tee -a "$RAW"
  "$BINDIR/redisbench.test" -test.run '^$' -test.bench "$BENCH_OURS" -test.benchmem -test.count 1 -test.benchtime "$OURS_BENCHTIME" -test.timeout 0 2>&1 | tee -a "$RAW"
done
check_raw "$RAW"

machine
{
  echo "# Redis benchmark run $STAMP"
  echo
  echo "- CPU: $cpu, $(nproc) cores, $mem RAM, $(uname -sr)"
  echo "- $(go version | cut -d' ' -f3-), $("$REDIS_SERVER" --version | cut -d' ' -f1-3) on 127.0.0.1 (no persistence), pool size 16 for every client"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- COUNT=$COUNT BENCHTIME=$BENCHTIME OURS_BENCHTIME=$OURS_BENCHTIME; raw output: $(basename "$RAW")"
  echo
  echo "## Ours against the fastest peer (medians; speed-up above 1 means we lead)"
  echo
  echo "Wall time per operation:"
  echo
  (cd .. && go run ./cmd/benchtable -compare store "results/$(basename "$RAW")")
  echo
  echo "CPU time per operation (this process only: the client's own cost):"
  echo
  (cd .. && go run ./cmd/benchtable -compare store -unit cpu-ns/op "results/$(basename "$RAW")")
  echo
  echo "## Medians of every benchmark"
  echo
  (cd .. && go run ./cmd/benchtable "results/$(basename "$RAW")")
  echo
  echo "## benchstat: ours against raw go-redis, the floor"
  echo
  echo '```'
  go run "$BENCHSTAT" -col /store -filter '/store:(ours OR goredis)' "$RAW" 2>&1 || echo "(benchstat unavailable)"
  echo '```'
  echo
  echo "## benchstat: every store"
  echo
  echo '```'
  go run "$BENCHSTAT" -col /store "$RAW" 2>&1 || echo "(benchstat unavailable)"
  echo '```'
} > "$REPORT"
cp "$REPORT" ../results/redis-latest.md
echo "run.sh: done: $REPORT"
