#!/usr/bin/env bash
# The lesson, measured: starts the server, fires 1, 2 and 50 requests at once at each endpoint,
# and prints how long they took next to what the lesson predicts.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

usage() {
  cat <<'TEXT'
Usage: scripts/demo.sh [--counts "1 2 50"] [--sleep SECONDS] [--endpoints "..."] [--pool-threads N]

Builds asyncscope (Release), starts asyncscope-server on a free port, and for every endpoint
and count runs `asyncscope-client -e ENDPOINT -c COUNT` (all requests at once). Prints a table
of measured vs expected total time, writes it to build/demo-results.md, and stops the server.
The server's log (every step, with process and thread ids) is kept in build/demo-server.log.

  --counts "1 2 50"        how many requests at once (default: the lesson's 1, 2 and 50)
  --sleep SECONDS          simulated I/O per request (default 1)
  --endpoints "..."        default "sync-endpoint async-endpoint async-wrong"
  --pool-threads N         worker pool size (default 40, like FastAPI)
TEXT
}

counts="1 2 50"
sleep_s=1
endpoints="sync-endpoint async-endpoint async-wrong"
pool=40
while [ $# -gt 0 ]; do
  case "$1" in
    --counts) counts=$2; shift 2 ;;
    --sleep) sleep_s=$2; shift 2 ;;
    --endpoints) endpoints=$2; shift 2 ;;
    --pool-threads) pool=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

install_dependencies
echo "Building asyncscope (Release)..."
build_dir=$(build_asyncscope Release)
server_bin="$build_dir/server/asyncscope-server"
client_bin="$build_dir/client/asyncscope-client"
log="$asyncscope_root/build/demo-server.log"
results="$asyncscope_root/build/demo-results.md"

trap 'kill "${server_pid:-}" 2>/dev/null; wait "${server_pid:-}" 2>/dev/null || true' EXIT
start_server "$server_bin" "$log" --sleep "$sleep_s" --pool-threads "$pool"
port=$server_port
echo "Server: pid $server_pid on port $port, sleep ${sleep_s} s, pool of $pool threads, 1 loop thread"
echo

# What the lesson predicts for COUNT requests at once, in seconds.
expected_time() {
  local endpoint=$1 count=$2
  case "$endpoint" in
    sync-endpoint) echo "$(( (count + pool - 1) / pool )) * $sleep_s" | bc -l ;;
    async-endpoint) echo "$sleep_s" ;;
    async-wrong) echo "$count * $sleep_s" | bc -l ;;
  esac
}

rows=()
all_ok=1
for endpoint in $endpoints; do
  for count in $counts; do
    expected=$(expected_time "$endpoint" "$count")
    printf '  %-15s x %-3s (expect ~%s s) ... ' "$endpoint" "$count" "$(printf '%.1f' "$expected")"
    summary=$("$client_bin" -e "$endpoint" -c "$count" --port "$port" --json) || true
    measured=$(jq -r '.total_time' <<<"$summary")
    # As predicted: at most 10% below, and above by at most 5% plus a quarter of one sleep
    # (start-up, logging, and a busy machine).
    verdict=$(jq -r '.verdict' <<<"$summary")
    if [ "$(jq -r '.failed' <<<"$summary")" = 0 ] &&
      [ "$(echo "$measured >= $expected * 0.9 && $measured <= $expected * 1.05 + 0.25 * $sleep_s" | bc -l)" = 1 ]; then
      mark=yes
    else
      mark=NO
      all_ok=0
    fi
    printf '%.2f s\n' "$measured"
    rows+=("$(jq -r --arg e "$endpoint" --arg x "$expected" --arg m "$mark" '
      [$e, (.count|tostring), $x, (.total_time|tostring), (.max_overlap|tostring),
       (.server_threads|length|tostring), $m, .verdict] | @tsv' <<<"$summary")")
  done
done

{
  echo "| endpoint | requests | expected (s) | measured (s) | max overlap | server threads | as expected | verdict |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | :---: | --- |"
  for row in "${rows[@]}"; do
    IFS=$'\t' read -r e c x m o t k v <<<"$row"
    printf '| %s | %s | %.2f | %.2f | %s | %s | %s | %s |\n' "$e" "$c" "$x" "$m" "$o" "$t" "$k" "$v"
  done
} >"$results"

echo
printf '%-15s %8s %10s %10s %8s %8s %10s\n' endpoint requests expected measured overlap threads "as expected"
for row in "${rows[@]}"; do
  IFS=$'\t' read -r e c x m o t k v <<<"$row"
  printf '%-15s %8s %8.2f s %8.2f s %8s %8s %10s\n' "$e" "$c" "$x" "$m" "$o" "$t" "$k"
done
echo
echo "Table (markdown): $results"
echo "Server log:       $log   (try: grep ' #3 ' $log)"
[ "$all_ok" = 1 ] || { echo "Some rows did not match the lesson's prediction." >&2; exit 1; }
