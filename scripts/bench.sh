#!/usr/bin/env bash
# A benchmark, not a test: N concurrent /async-endpoint requests (default 10,000) at sleep=1
# against a server logging at warn. Prints the total time, its ratio to the 1 s ideal, and the
# peak memory (RSS) of server and client. Loopback only; bounded by the client's --timeout.
#
# scripts/bench.sh --cost [ROUNDS=3]: what the per-request timing, GET /requests and the flight
# recorder cost. Each round runs the 10,000 requests against a server with --timing on, then
# one with --timing off, and wrk for 10 s at sleep 0 against each; a table of every run, then
# the medians.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

if [ "${1:-}" = "--cost" ]; then
  rounds=${2:-3}
  case "$rounds" in '' | *[!0-9]*)
    echo "Usage: scripts/bench.sh --cost [ROUNDS=3]" >&2; exit 2 ;;
  esac
  install_dependencies wrk
  build_dir=$(build_asyncscope Release)
  ulimit -n "$(ulimit -Hn)"
  log=$(mktemp)
  results=$(mktemp)
  trap 'kill "${server_pid:-}" 2>/dev/null; rm -f "$log" "$results"' EXIT
  # Seconds of CPU the server has used so far (user + system).
  server_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server_pid/stat"
  }
  stop_server() {
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  }
  echo "asyncscope cost of --timing: $rounds rounds on $(nproc) cores; each: 10,000 x /async-endpoint?sleep=1, then wrk -t2 -c64 -d10s at sleep=0"
  for round in $(seq "$rounds"); do
    for timing in on off; do
      start_server "$build_dir/server/asyncscope-server" "$log" --log-level warn --timing "$timing"
      total=$("$build_dir/client/asyncscope-client" -e async-endpoint -c 10000 --sleep 1 \
        --port "$server_port" --json --timeout 30 | jq -r '"\(.total_time) \(.ok)"')
      cpu=$(server_cpu)
      rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")
      stop_server
      start_server "$build_dir/server/asyncscope-server" "$log" --log-level warn --timing "$timing"
      rps=$(wrk -t2 -c64 -d10s "http://127.0.0.1:$server_port/async-endpoint?sleep=0" |
        awk '/Requests\/sec/ {print $2}')
      stop_server
      echo "$round $timing $total $cpu $rss $rps" | tee -a "$results"
    done
  done | awk 'BEGIN {print "round timing total_s ok server_cpu_s peak_rss_mib wrk_rps"} {print}' | column -t
  for timing in on off; do
    awk -v t="$timing" '$2 == t {print $3, $6}' "$results" | sort -n | awk -v t="$timing" '
      {total[NR] = $1} END {printf "median total time, --timing %s: %.3f s\n", t, total[int((NR + 1) / 2)]}'
    awk -v t="$timing" '$2 == t {print $7}' "$results" | sort -n | awk -v t="$timing" '
      {rps[NR] = $1} END {printf "median rps at sleep 0, --timing %s: %.0f\n", t, rps[int((NR + 1) / 2)]}'
  done
  exit 0
fi

count=${1:-10000}
sleep_s=${2:-1}
case "$count$sleep_s" in *[!0-9.]*)
  echo "Usage: scripts/bench.sh [COUNT=10000] [SLEEP=1] | --cost [ROUNDS=3]" >&2; exit 2 ;;
esac

install_dependencies
build_dir=$(build_asyncscope Release)
ulimit -n "$(ulimit -Hn)"  # one socket per request, on both sides
log=$(mktemp)
trap 'kill "${server_pid:-}" 2>/dev/null; rm -f "$log"' EXIT
start_server "$build_dir/server/asyncscope-server" "$log" --log-level warn
port=$server_port

echo "asyncscope bench: $count concurrent GET /async-endpoint?sleep=$sleep_s on 127.0.0.1:$port"
echo "machine: $(nproc) cores, open-file limit $(ulimit -n), somaxconn $(cat /proc/sys/net/core/somaxconn)"
client_rss=$(mktemp)
summary=$(/usr/bin/env time -f '%M' -o "$client_rss" \
  "$build_dir/client/asyncscope-client" -e async-endpoint -c "$count" --sleep "$sleep_s" \
  --port "$port" --json --timeout 30) || true
if ! jq -e .count <<<"$summary" >/dev/null 2>&1; then
  echo "bench.sh: the client gave no summary (is the port free? see above)" >&2
  exit 1
fi
server_peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
client_peak_kib=$(cat "$client_rss"); rm -f "$client_rss"

jq -r --arg s "$sleep_s" --arg srv "$server_peak_kib" --arg cli "$client_peak_kib" '
  "requests:        \(.count), ok \(.ok), failed \(.failed), statuses \(.statuses | tojson)",
  "total time:      \(.total_time * 1000 | round / 1000) s  (ideal \($s) s, ratio \(.total_time / ($s|tonumber) * 100 | round / 100))",
  if .latency then "latency:         p50 \(.latency.p50 * 1000 | round / 1000) s, p99 \(.latency.p99 * 1000 | round / 1000) s, max \(.latency.max * 1000 | round / 1000) s" else "latency:         none (no request succeeded)" end,
  "failures:        \(.failures | tojson)",
  "server threads:  \(.server_threads | tojson)   max overlap \(.max_overlap)",
  "peak RSS:        server \($srv | tonumber / 1024 | round) MiB, client \($cli | tonumber / 1024 | round) MiB",
  "verdict:         \(.verdict)"' <<<"$summary"
warnings=$(grep -c "WARN loop-" "$log" || true)
echo "blocked-loop warnings: $warnings (the detector, at --block-warn-ms 100; async load should give 0)"
grep "WARN loop-" "$log" | head -3 || true
