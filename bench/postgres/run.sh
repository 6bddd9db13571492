#!/usr/bin/env bash
# Runs BenchmarkPostgres (ours, ours-lua, raw pgx, scs pgxstore) against one
# PostgreSQL container on loopback, in interleaved rounds (each round runs
# every benchmark once in a fresh process, the stores' order rotated from
# round to round, so a burst of load on a shared machine hits every store
# alike), and writes
#   ../results/postgres-<UTC stamp>.txt   raw `go test -bench` output
#   ../results/postgres-<UTC stamp>.md    machine, ratios, medians
# The container runs $SESSIONSTORE_POSTGRES_IMAGE (default postgres:15; without
# registry access build one with scripts/build-postgres-image.sh) and is removed
# at exit. SESSIONSTORE_BENCH_POSTGRES (a connection string) uses a running
# server instead. Knobs: COUNT (rounds, default 6), BENCHTIME (default 1s),
# BENCH (the -bench regexp, default all of BenchmarkPostgres), PAIRED and
# PAIRED_BENCHTIME (BenchmarkPostgresPaired, default 2s: ours and raw pgx
# call by call).
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-'^BenchmarkPostgres$'}
PAIRED=${PAIRED:-'^BenchmarkPostgresPaired$'}
PAIRED_BENCHTIME=${PAIRED_BENCHTIME:-2s}
IMAGE=${SESSIONSTORE_POSTGRES_IMAGE:-postgres:15}

CID=""
BINDIR=$(mktemp -d)
cleanup() {
  if [ -n "$CID" ]; then docker rm -f "$CID" >/dev/null 2>&1 || true; fi
  rm -rf "$BINDIR"
}
trap cleanup EXIT INT TERM

go test -c -o "$BINDIR/pgbench.test" .

if [ -z "${SESSIONSTORE_BENCH_POSTGRES:-}" ]; then
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  PORT=""
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    if port_free "$p"; then PORT=$p; break; fi
  done
  [ -n "$PORT" ] || { echo "run.sh: no free loopback port found" >&2; exit 1; }
  CID=$(docker run -d --label org.sessionstore.containertest=1 -p "127.0.0.1:$PORT:5432" \
    -e POSTGRES_HOST_AUTH_METHOD=trust "$IMAGE" \
    postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200)
  export SESSIONSTORE_BENCH_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
  echo "run.sh: $IMAGE as container ${CID:0:12} on 127.0.0.1:$PORT" >&2
fi

# The adapters must read back what they wrote (and the server must answer)
# before any number counts; the official image restarts once after its init.
ok=""
for _ in $(seq 60); do
  if "$BINDIR/pgbench.test" -test.run '^TestTargets$' -test.count 1 >/dev/null 2>&1; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || { "$BINDIR/pgbench.test" -test.run '^TestTargets$' -test.count 1 -test.v; exit 1; }

mkdir -p ../results
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
RAW=../results/postgres-$STAMP.txt
REPORT=../results/postgres-$STAMP.md
: > "$RAW"
for round in $(seq "$COUNT"); do
  echo "run.sh: round $round of $COUNT" >&2
  SESSIONSTORE_BENCH_ROUND=$round "$BINDIR/pgbench.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem -test.count 1 \
    -test.benchtime "$BENCHTIME" -test.timeout 0 2>&1 | grep -v '^20[0-9][0-9]/' | tee -a "$RAW"
  "$BINDIR/pgbench.test" -test.run '^$' -test.bench "$PAIRED" -test.count 1 \
    -test.benchtime "$PAIRED_BENCHTIME" -test.timeout 0 2>&1 | grep -v '^20[0-9][0-9]/' | tee -a "$RAW"
done
if grep -q -e '^--- FAIL' -e '^FAIL' "$RAW"; then echo "run.sh: a benchmark failed, see $RAW" >&2; exit 1; fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
{
  echo "# PostgreSQL benchmark run $STAMP"
  echo
  echo "- CPU: $cpu, $(nproc) cores, $mem RAM, $(uname -sr); $(go version | cut -d' ' -f3-)"
  if [ -n "$CID" ]; then echo "- server: $IMAGE in Docker, published on 127.0.0.1 (through docker-proxy)"; else echo "- server: SESSIONSTORE_BENCH_POSTGRES"; fi
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- COUNT=$COUNT BENCHTIME=$BENCHTIME; raw output: $(basename "$RAW")"
  echo
  (cd .. && go run ./cmd/pgratio "postgres/$RAW")
  echo
  echo "## Medians of every benchmark"
  echo
  (cd .. && go run ./cmd/benchtable "postgres/$RAW")
} > "$REPORT"
echo "run.sh: done: $REPORT" >&2
cat "$REPORT"
