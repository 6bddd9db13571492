# Shell functions the bench module's run scripts share (sourced, not run):
# a free loopback port, waiting for a server to answer, the machine line of
# a report, and the check that no benchmark failed.

# free_port sets PORT to a loopback port nothing listens on.
free_port() {
  local p
  PORT=""
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; return 0; fi
  done
  echo "run.sh: no free loopback port found" >&2
  exit 1
}

# wait_answer NAME PID REQUEST PREFIX waits up to 10 s until the server NAME
# (process PID) on 127.0.0.1:$PORT answers REQUEST with a line starting
# with PREFIX; it exits when the server does or never answers.
wait_answer() {
  local name=$1 pid=$2 request=$3 prefix=$4 line
  for i in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf '%s\r\n' "$request" >&3; read -r -t 1 line <&3; [[ $line == "$prefix"* ]]) 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: $name exited" >&2; exit 1; }
    sleep 0.1
    [ "$i" -lt 100 ] || { echo "run.sh: $name did not answer on 127.0.0.1:$PORT" >&2; exit 1; }
  done
}

# machine sets cpu and mem for a report's first lines.
machine() {
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
}

# check_raw RAW exits when a benchmark in RAW failed.
check_raw() {
  if grep -q -e '^--- FAIL' -e '^FAIL' "$1"; then echo "run.sh: a benchmark failed, see $1" >&2; exit 1; fi
}
