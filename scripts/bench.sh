#!/usr/bin/env bash
# A benchmark, not a test: N concurrent /async-endpoint requests (default 10,000) at sleep=1
# against a server logging at warn. Prints the total time, its ratio to the 1 s ideal, and the
# peak memory (RSS) of server and client. Loopback only; bounded by the client's --timeout.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

count=${1:-10000}
sleep_s=${2:-1}
case "$count$sleep_s" in *[!0-9.]*)
  echo "Usage: scripts/bench.sh [COUNT=10000] [SLEEP=1]" >&2; exit 2 ;;
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
