#!/usr/bin/env bash
# Runs a SQL driver's benchmarks, ./run-sql.sh postgres or ./run-sql.sh mysql:
# BenchmarkPostgres (ours, ours-lua, raw pgx, scs pgxstore) or BenchmarkMySQL (ours,
# ours-lua, raw database/sql, scs mysqlstore) against one server container on
# loopback, in interleaved rounds (each round runs every benchmark once in a fresh
# process, the stores' order rotated from round to round, so a burst of load on a
# shared machine hits every store alike), and writes
#   results/<driver>-<UTC stamp>.txt   raw `go test -bench` output
#   results/<driver>-<UTC stamp>.md    machine, ratios (cmd/sqlratio), medians
# The container runs $SESSIONSTORE_POSTGRES_IMAGE (default postgres:15) or
# $SESSIONSTORE_MARIADB_IMAGE (default mariadb:10.11); without registry access build
# one with scripts/build-postgres-image.sh or build-mariadb-image.sh. It is removed at
# exit. SESSIONSTORE_BENCH_POSTGRES (a connection string) or SESSIONSTORE_BENCH_MYSQL
# (a go-sql-driver DSN of a user that may create databases) uses a running server
# instead. Knobs: COUNT (rounds, default 6), BENCHTIME (default 1s), BENCH (the
# -bench regexp, default all of the driver's benchmark), PAIRED and PAIRED_BENCHTIME
# (its Paired benchmark, default 2s: ours and a peer call by call).
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

DRIVER=${1:-}
case "$DRIVER" in
postgres)
  NAME=Postgres TITLE=PostgreSQL ENV=SESSIONSTORE_BENCH_POSTGRES WAIT=60
  IMAGE=${SESSIONSTORE_POSTGRES_IMAGE:-postgres:15}
  ;;
mysql)
  NAME=MySQL TITLE=MySQL/MariaDB ENV=SESSIONSTORE_BENCH_MYSQL WAIT=90
  IMAGE=${SESSIONSTORE_MARIADB_IMAGE:-mariadb:10.11}
  ;;
*)
  echo "usage: run-sql.sh postgres|mysql" >&2
  exit 2
  ;;
esac
COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-"^Benchmark$NAME\$"}
PAIRED=${PAIRED:-"^Benchmark${NAME}Paired\$"}
PAIRED_BENCHTIME=${PAIRED_BENCHTIME:-2s}

CID=""
BINDIR=$(mktemp -d)
cleanup() {
  if [ -n "$CID" ]; then docker rm -f "$CID" >/dev/null 2>&1 || true; fi
  rm -rf "$BINDIR"
}
trap cleanup EXIT INT TERM

BIN=$BINDIR/$DRIVER-bench.test
(cd "$DRIVER" && go test -c -o "$BIN" .)

# start_server runs the driver's server in a container on a free loopback port and
# exports its address in $ENV. Durability off: benchmark data need not survive a crash.
start_server() {
  free_port
  case "$DRIVER" in
  postgres)
    CID=$(docker run -d --label org.sessionstore.containertest=1 -p "127.0.0.1:$PORT:5432" \
      -e POSTGRES_HOST_AUTH_METHOD=trust "$IMAGE" \
      postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200)
    export SESSIONSTORE_BENCH_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
    ;;
  mysql)
    # The official image's variables create root without a password; the local
    # image has it baked in.
    CID=$(docker run -d --label org.sessionstore.containertest=1 -p "127.0.0.1:$PORT:3306" \
      -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 "$IMAGE" \
      mariadbd --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --skip-name-resolve=1 --max-connections=200)
    export SESSIONSTORE_BENCH_MYSQL="root@tcp(127.0.0.1:$PORT)/"
    ;;
  esac
  echo "run-sql.sh: $IMAGE as container ${CID:0:12} on 127.0.0.1:$PORT" >&2
}
if [ -z "${!ENV:-}" ]; then start_server; fi

# The adapters must read back what they wrote (and the server must answer) before
# any number counts; the official images restart once after their init.
ok=""
for _ in $(seq "$WAIT"); do
  if "$BIN" -test.run '^TestTargets$' -test.count 1 >/dev/null 2>&1; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || { "$BIN" -test.run '^TestTargets$' -test.count 1 -test.v; exit 1; }

mkdir -p results
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
RAW=results/$DRIVER-$STAMP.txt
REPORT=results/$DRIVER-$STAMP.md
: > "$RAW"
for round in $(seq "$COUNT"); do
  echo "run-sql.sh: round $round of $COUNT" >&2
  SESSIONSTORE_BENCH_ROUND=$round "$BIN" -test.run '^$' -test.bench "$BENCH" -test.benchmem -test.count 1 \
    -test.benchtime "$BENCHTIME" -test.timeout 0 2>&1 | grep -v '^20[0-9][0-9]/' | tee -a "$RAW"
  "$BIN" -test.run '^$' -test.bench "$PAIRED" -test.count 1 \
    -test.benchtime "$PAIRED_BENCHTIME" -test.timeout 0 2>&1 | grep -v '^20[0-9][0-9]/' | tee -a "$RAW"
done
check_raw "$RAW"

machine
{
  echo "# $TITLE benchmark run $STAMP"
  echo
  echo "- CPU: $cpu, $(nproc) cores, $mem RAM, $(uname -sr); $(go version | cut -d' ' -f3-)"
  if [ -n "$CID" ]; then echo "- server: $IMAGE in Docker, published on 127.0.0.1 (through docker-proxy)"; else echo "- server: $ENV"; fi
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- COUNT=$COUNT BENCHTIME=$BENCHTIME; raw output: $(basename "$RAW")"
  echo
  go run ./cmd/sqlratio -driver "$DRIVER" "$RAW"
  echo
  echo "## Medians of every benchmark"
  echo
  go run ./cmd/benchtable "$RAW"
} > "$REPORT"
echo "run-sql.sh: done: $REPORT" >&2
cat "$REPORT"
