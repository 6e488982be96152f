#!/usr/bin/env bash
# A benchmark, not a test: N concurrent /async-endpoint requests (default 10,000) at sleep=1
# against a server logging at warn, RUNS times (default 3) on the same server, so the first run
# after start (cold) can be compared with the later ones (warm). For each run: the total time,
# its ratio to the 1 s ideal, latency, and the server's memory while the requests are in flight
# (VmRSS read from /proc every 10 ms; the peak above the RSS the server had before the run, per
# request: the server faults in a heap for --max-connections at start, server/warm_heap.hpp, so
# this counts what goes beyond it). Loopback only; bounded by the client's --timeout.
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
  trap 'stop_server; rm -f "$log" "$results"' EXIT
  # Seconds of CPU the server has used so far (user + system).
  server_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server_pid/stat"
  }
  echo "asyncscope cost of --timing: $rounds rounds on $(nproc) cores; each: 10,000 x /async-endpoint?sleep=1, then wrk -t2 -c64 -d10s at sleep=0"
  for round in $(seq "$rounds"); do
    for timing in on off; do
      start_server "$build_dir/server/asyncscope-server" "$log" --log-level warn --timing "$timing" \
        --max-connections 15000
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
runs=${3:-3}
case "$count$sleep_s$runs" in *[!0-9.]*)
  echo "Usage: scripts/bench.sh [COUNT=10000] [SLEEP=1] [RUNS=3] | --cost [ROUNDS=3]" >&2; exit 2 ;;
esac

install_dependencies
build_dir=$(build_asyncscope Release)
ulimit -n "$(ulimit -Hn)"  # one socket per request, on both sides
log=$(mktemp)
work=$(mktemp -d)
trap 'kill "${server_pid:-}" "${sampler_pid:-}" 2>/dev/null; rm -rf "$log" "$work"' EXIT
start_server "$build_dir/server/asyncscope-server" "$log" --log-level warn \
  --max-connections $((count + 5000))
port=$server_port

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }

# Writes the server's VmRSS to FILE every 10 ms until killed.
sample_rss() {
  while :; do rss_kib >>"$1" 2>/dev/null || return 0; sleep 0.01; done
}

echo "asyncscope bench: $count concurrent GET /async-endpoint?sleep=$sleep_s on 127.0.0.1:$port, $runs runs"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), open-file limit $(ulimit -n), somaxconn $(cat /proc/sys/net/core/somaxconn)"
sleep 0.5 # let the server settle before reading its idle size
idle_kib=$(rss_kib)
echo "server RSS at idle: $((idle_kib / 1024)) MiB"
printf '%-4s %10s %6s %9s %9s %9s %12s %12s %14s\n' run total ratio ok p50 p99 "RSS before" "RSS peak" "above/request"
for run in $(seq "$runs"); do
  before_kib=$(rss_kib)
  : >"$work/rss"
  sample_rss "$work/rss" &
  sampler_pid=$!
  summary=$(/usr/bin/env time -f '%M' -o "$work/client_rss" \
    "$build_dir/client/asyncscope-client" -e async-endpoint -c "$count" --sleep "$sleep_s" \
    --port "$port" --json --timeout 30) || true
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  if ! jq -e .count <<<"$summary" >/dev/null 2>&1; then
    echo "bench.sh: the client gave no summary (is the port free? see above)" >&2
    exit 1
  fi
  peak_kib=$(sort -n "$work/rss" | tail -1)
  [ "$run" = 1 ] && first_summary=$summary
  IFS=$'\t' read -r total ok p50 p99 < <(jq -r \
    '[.total_time, .ok, (.latency.p50 // 0), (.latency.p99 // 0)] | @tsv' <<<"$summary")
  ratio=-
  [ "$(echo "$sleep_s > 0" | bc)" = 1 ] && ratio=$(printf '%.2f' "$(echo "$total / $sleep_s" | bc -l)")
  printf '%-4s %8.3f s %6s %9s %7.3f s %7.3f s %8d MiB %8d MiB %10.2f KiB\n' "$run" "$total" \
    "$ratio" "$ok" "$p50" "$p99" $((before_kib / 1024)) $((peak_kib / 1024)) \
    "$(echo "($peak_kib - $before_kib) / $count" | bc -l)"
  sleep 1 # let the closed connections go
done
client_peak_kib=$(cat "$work/client_rss")

echo
echo "first run in detail:"
jq -r --arg cli "$client_peak_kib" '
  "requests:        \(.count), ok \(.ok), failed \(.failed), statuses \(.statuses | tojson)",
  if .latency then "latency:         p50 \(.latency.p50 * 1000 | round / 1000) s, p99 \(.latency.p99 * 1000 | round / 1000) s, max \(.latency.max * 1000 | round / 1000) s" else "latency:         none (no request succeeded)" end,
  "failures:        \(.failures | tojson)",
  "server threads:  \(.server_threads | tojson)   max overlap \(.max_overlap)",
  "client peak RSS: \($cli | tonumber / 1024 | round) MiB (the last run)",
  "verdict:         \(.verdict)"' <<<"$first_summary"
warnings=$(grep -c "WARN loop-" "$log" || true)
echo "blocked-loop warnings: $warnings (the detector, at --block-warn-ms 100; async load should give 0)"
grep "WARN loop-" "$log" | head -3 || true
