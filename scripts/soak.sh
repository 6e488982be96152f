#!/usr/bin/env bash
# Soak and abuse: does the server stay up, stay fast for normal requests, and give back what it
# took, under minutes of mixed load and misbehaving clients? Loopback only, bounded in time and
# count; everything it starts is stopped on exit.
#
# Usage: scripts/soak.sh [SECONDS=180]            the soak (see below); at least 60 seconds
#        scripts/soak.sh --cap-burst [ATTEMPTS=15000] [WAVE=200]
#            ATTEMPTS connections as fast as they go (at most WAVE connecting at once) against
#            --max-connections 10000: how many got 200, 503 or a refused connect, and whether
#            the server's fds come back to where they were
#
# The soak, in order: start the server; warm up (5 s of the mixed load below, then one
# connection burst, so that the start figures already include what the allocator keeps after
# the first peak; the cold figures are printed too); p99 of /async-endpoint?sleep=0 before the
# attack (samples of 2,000 requests, 20 at a time); 500 slowloris connections (a header line a
# second, never finished) while p99 is sampled again; mixed load on every endpoint for the bulk
# of the time, with clients that hang up at awkward moments and garbage or oversized requests;
# a burst past --max-connections; cool-down; final figures. Prints a report with a PASS/FAIL
# line per check and exits 1 if one fails. The server's log and every JSON summary are kept in
# build/soak-<time>/.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

usage() { sed -n '6,11s/^# \{0,1\}//p' "$0"; }
mode=soak
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  usage; exit 0
elif [ "${1:-}" = --cap-burst ]; then
  mode=cap-burst
  attempts=${2:-15000}
  wave=${3:-200}
else
  duration=${1:-180}
fi
case "${duration:-}${attempts:-}${wave:-}" in
  "" | *[!0-9]*) usage >&2; exit 2 ;;
esac
if [ "$mode" = soak ] && [ "$duration" -lt 60 ]; then
  echo "soak.sh: SECONDS must be at least 60" >&2; exit 2
fi

install_dependencies
build_dir=$(build_asyncscope Release)
server_bin="$build_dir/server/asyncscope-server"
client_bin="$build_dir/client/asyncscope-client"
python=/usr/bin/python3  # Debian's, which has python3-prometheus-client
abuse="$asyncscope_root/scripts/abuse.py"
ulimit -n "$(ulimit -Hn)"  # the attackers and the server each hold thousands of sockets
run_dir="$asyncscope_root/build/soak-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run_dir"

# Everything started in the background, stopped (with its children) on exit.
background=()
stop_everything() {
  for pid in "${background[@]}"; do
    pkill -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true  # and no "Terminated" from bash after the report
  done
  if [ -n "${server_pid:-}" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_everything EXIT

# --- measuring the server -------------------------------------------------------------------

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
fd_count() { ls "/proc/$server_pid/fd" | wc -l; }
metrics() { "$python" "$abuse" metrics --port "$port" 2>/dev/null || echo '{}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }

# Waits (at most $1 seconds) until the only connection open is the one asking.
wait_until_idle() {
  local waited=0
  while [ "$(metrics | jq '.connections_open // 0')" -gt 1 ] && [ "$waited" -lt "$1" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  sleep 0.5  # the connection that asked closes too
}

# One p99 sample: 2,000 requests to /async-endpoint?sleep=0, 20 at a time (a fraction of a
# second); appends the summary. With 2,000 a sample's p99 is its 20th slowest request, so one
# moment when the machine's other work holds a core does not decide it alone.
sample_p99() {
  "$client_bin" --port "$port" -e async-endpoint --sleep 0 -c 2000 --concurrency 20 -t 1 \
    --timeout 10 --json >>"$1" 2>/dev/null || true
  echo >>"$1"
}

# "p99 of each sample, in ms", and the worst and the median of them, from a file of summaries.
p99_figures() {
  jq -s -r '[.[] | .latency.p99 // 1e9 | . * 1000] as $p | ($p | sort) as $s |
    "\($p | length) samples, p99 median \($s[($s | length) / 2 | floor] | . * 100 | round / 100) ms, worst \($s[-1] | . * 100 | round / 100) ms"' "$1"
}
worst_p99_ms() { jq -s '[.[] | .latency.p99 // 1e9] | max * 1000' "$1"; }

# Runs the client over and over until the deadline (in $SECONDS), appending each summary.
client_loop() {
  local until=$1 out=$2
  shift 2
  while [ "$SECONDS" -lt "$until" ]; do
    local sleep_s
    sleep_s=$(shuf -n1 -e 0.05 0.1 0.15 0.2)
    local args=("$@")
    args=("${args[@]//SLEEP/$sleep_s}")
    "$client_bin" --port "$port" -q --json -t 1 --timeout 10 "${args[@]}" >>"$out" 2>/dev/null || true
    echo >>"$out"
  done
}

# Mixed load over every endpoint for $1 seconds; summaries go to files named after $2.
mixed_load() {
  local seconds=$1 name=$2 until=$((SECONDS + $1))
  local pids=()
  client_loop "$until" "$run_dir/$name-async.json" -e async-endpoint -c 200 --concurrency 40 --sleep SLEEP &
  pids+=($!)
  client_loop "$until" "$run_dir/$name-sync.json" -e sync-endpoint -c 60 --concurrency 20 --sleep SLEEP &
  pids+=($!)
  client_loop "$until" "$run_dir/$name-offload.json" -e async-offload -c 40 --concurrency 10 --sleep SLEEP &
  pids+=($!)
  (  # cheap pages, one after another
    while [ "$SECONDS" -lt "$until" ]; do
      for endpoint in async-forgot-await /healthz /metrics /; do
        "$client_bin" --port "$port" -q --json -t 1 --timeout 10 -e "$endpoint" -c 20 --concurrency 5 \
          >>"$run_dir/$name-pages.json" 2>/dev/null || true
        echo >>"$run_dir/$name-pages.json"
      done
      sleep 0.2
    done
  ) &
  pids+=($!)
  (  # the two that block the loop by design: a little, every ten seconds
    while [ "$SECONDS" -lt "$until" ]; do
      "$client_bin" --port "$port" -q --json -t 1 --timeout 10 -e async-wrong --sleep 0.05 -c 2 \
        >>"$run_dir/$name-blocking.json" 2>/dev/null || true
      echo >>"$run_dir/$name-blocking.json"
      "$client_bin" --port "$port" -q --json -t 1 --timeout 10 -e '/async-cpu?work=0.05' -c 2 \
        >>"$run_dir/$name-blocking.json" 2>/dev/null || true
      echo >>"$run_dir/$name-blocking.json"
      sleep 10
    done
  ) &
  pids+=($!)
  "$python" "$abuse" misbehave --port "$port" --dashboard-port "$dashboard_port" --duration "$seconds" --concurrency 4 \
    >"$run_dir/$name-misbehave.json" &
  pids+=($!)
  background+=("${pids[@]}")
  wait "${pids[@]}" || true
}

# The normal load's summaries, added up: requests, ok, failed, failures and statuses by kind.
load_totals() {
  cat "$@" | jq -s '[.[] | select(type == "object")] |
    def add_up(f): map(f // {} | to_entries) | add // [] | group_by(.key)
      | map({key: .[0].key, value: (map(.value) | add)}) | from_entries;
    {runs: length, count: (map(.count) | add), ok: (map(.ok) | add),
     failed: (map(.failed) | add), failures: add_up(.failures), statuses: add_up(.statuses)}'
}

# --- checks ---------------------------------------------------------------------------------

failed_checks=0
check() {  # check NAME CONDITION(0/1) DETAIL
  if [ "$2" = 1 ]; then
    printf '  PASS  %-44s %s\n' "$1" "$3"
  else
    printf '  FAIL  %-44s %s\n' "$1" "$3"
    failed_checks=$((failed_checks + 1))
  fi
}
within_10_percent() { awk -v a="$1" -v b="$2" 'BEGIN {print (b <= a * 1.10 && b >= a * 0.90) ? 1 : 0}'; }
percent_change() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f%%", (b - a) * 100 / a}'; }

server_alive() {
  kill -0 "$server_pid" 2>/dev/null &&
    "$client_bin" --port "$port" -e /healthz -c 1 --timeout 5 --json 2>/dev/null | jq -e '.ok == 1' >/dev/null
}

# A burst: $1 attempts at once, each holding /async-endpoint?sleep=$2; the summary goes to $3.
# At most ${wave:-200} connect at once (see abuse.py burst).
# While it runs, the server's fd count is sampled and its peak kept in $3.peak-fds.
burst() {
  local sampler
  (
    peak=0
    while kill -0 "$server_pid" 2>/dev/null; do
      n=$(fd_count 2>/dev/null || echo 0)
      [ "$n" -gt "$peak" ] && peak=$n && echo "$peak" >"$3.peak-fds"
      sleep 0.2
    done
  ) 2>/dev/null &
  sampler=$!
  background+=("$sampler")
  "$python" "$abuse" burst --port "$port" --attempts "$1" --hold "$2" --wave "${wave:-200}" >"$3"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true  # quietly: no "Terminated" from bash
}

burst_outcomes() {
  jq -r '"\(.attempts) attempts: " + (.outcomes | to_entries | map("\(.key) \(.value)") | join(", "))
    + "; with Retry-After: \(.with_retry_after); peak connected \(.peak_connected); \(.seconds) s"
    + (if .unanswered_after then "; closed without answer after \(.unanswered_after.median) s (median)" else "" end)' "$1"
}
# 1 when every attempt got a 200, a 503 or a refused connect.
burst_clean() { jq '[.outcomes | to_entries[] | select(.key | IN("HTTP 200", "HTTP 503", "connect refused") | not)] | length == 0 | if . then 1 else 0 end' "$1"; }

# --- the connection-cap burst -----------------------------------------------------------------

if [ "$mode" = cap-burst ]; then
  server_flags=(--max-connections 10000 --read-timeout 5 --log-level warn)
  start_server "$server_bin" "$run_dir/server.log" "${server_flags[@]}"
  port=$server_port
  echo "asyncscope cap burst: $attempts connections ($wave connecting at once at most), each asking /async-endpoint?sleep=5"
  echo "server: pid $server_pid on 127.0.0.1:$port, flags ${server_flags[*]}"
  echo "machine: $(nproc) cores, open-file limit $(ulimit -n), somaxconn $(cat /proc/sys/net/core/somaxconn)"
  "$client_bin" --port "$port" -e async-endpoint --sleep 0 -c 200 -q --json >/dev/null  # warm-up
  wait_until_idle 10
  fds_before=$(fd_count) rss_before=$(rss_kib)
  burst "$attempts" 5 "$run_dir/cap-burst.json"
  wait_until_idle 30
  fds_after=$(fd_count) rss_after=$(rss_kib)
  alive=0 && server_alive && alive=1
  turned_away=$(metrics | jq '.connections_turned_away_total')
  {
    echo
    echo "== cap burst report =="
    echo "burst:          $(burst_outcomes "$run_dir/cap-burst.json")"
    echo "served (200):   $(jq '.outcomes["HTTP 200"] // 0' "$run_dir/cap-burst.json"), in $(jq -c '.served_in' "$run_dir/cap-burst.json") s"
    echo "server says:    $turned_away connections turned away (asyncscope_connections_turned_away_total)"
    echo "server fds:     $fds_before before, peak $(cat "$run_dir/cap-burst.json.peak-fds" 2>/dev/null || echo ?), $fds_after after"
    echo "server RSS:     $(mib "$rss_before") before, $(mib "$rss_after") after (peak $(mib "$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")"))"
    echo "checks:"
    check "every attempt got 200, 503 or refused" "$(burst_clean "$run_dir/cap-burst.json")" \
      "$(jq -c '.outcomes' "$run_dir/cap-burst.json")"
    check "server alive" "$alive" "pid $server_pid, /healthz"
    check "fds back to baseline (within 10%)" "$(within_10_percent "$fds_before" "$fds_after")" \
      "$fds_before -> $fds_after"
    echo "files: $run_dir"
  } >"$run_dir/report.txt"
  cat "$run_dir/report.txt"
  [ "$failed_checks" = 0 ] || exit 1
  exit 0
fi

# --- the soak ---------------------------------------------------------------------------------

read_timeout=5
max_connections=2000
burst_attempts=$((max_connections + 1000))
slowloris_seconds=30
mixed_seconds=$((duration - 50))  # the other phases take about 50 s
server_flags=(--read-timeout "$read_timeout" --max-connections "$max_connections" --log-level warn)
start_server "$server_bin" "$run_dir/server.log" "${server_flags[@]}"
port=$server_port
began=$SECONDS
echo "asyncscope soak: ${duration} s on 127.0.0.1:$port (server pid $server_pid)"
echo "server flags: ${server_flags[*]} (other limits at their defaults)"
echo "machine: $(nproc) cores, open-file limit $(ulimit -n); files in $run_dir"
sleep 0.5
rss_cold=$(rss_kib) fds_cold=$(fd_count)

# Announces a phase, and names it in the timeline that the sampler below writes every second.
phase() {
  echo "$1" >"$run_dir/phase"
  echo "[$((SECONDS - began)) s] $1${2:+: $2}"
}
echo cold >"$run_dir/phase"
(
  while kill -0 "$server_pid" 2>/dev/null; do
    printf '%s\t%s\t%s\t%s\n' "$((SECONDS - began))" "$(rss_kib 2>/dev/null)" \
      "$(fd_count 2>/dev/null)" "$(cat "$run_dir/phase")"
    sleep 1
  done
) >"$run_dir/timeline.tsv" 2>/dev/null &  # stopped on exit: no "Terminated" on screen
background+=($!)

phase warm-up "5 s of mixed load, then a burst of $burst_attempts connections"
mixed_load 5 warmup
burst "$burst_attempts" 2 "$run_dir/warmup-burst.json"
wait_until_idle 20
rss_start=$(rss_kib) fds_start=$(fd_count)
peak_start=$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")  # the warm-up's peak
echo "[$((SECONDS - began)) s] start: RSS $(mib "$rss_start"), $fds_start fds (cold: $(mib "$rss_cold"), $fds_cold fds)"

phase "p99 before"
for _ in 1 2 3 4 5; do sample_p99 "$run_dir/p99-before.json"; done

phase slowloris "500 connections for ${slowloris_seconds} s, p99 sampled meanwhile"
"$python" "$abuse" slowloris --port "$port" --connections 500 --duration "$slowloris_seconds" \
  --interval 1 --read-timeout "$read_timeout" >"$run_dir/slowloris.json" &
slowloris_pid=$!
background+=("$slowloris_pid")
sleep 2
open_during_attack=$(metrics | jq '.connections_open')
fds_during_attack=$(fd_count)
while kill -0 "$slowloris_pid" 2>/dev/null; do
  sample_p99 "$run_dir/p99-during.json"
  sleep 0.5
done
wait "$slowloris_pid" || true

phase "mixed load" "every endpoint, with misbehaving clients, for ${mixed_seconds} s"
mixed_load "$mixed_seconds" mixed

phase burst "$burst_attempts connections at once against --max-connections $max_connections"
burst "$burst_attempts" 2 "$run_dir/burst.json"

phase cool-down
sleep 3
wait_until_idle 20
if ! kill -0 "$server_pid" 2>/dev/null; then
  wait "$server_pid" && status=0 || status=$?
  echo "FAIL: the server is gone (exit status $status); the end of its log:" >&2
  tail -5 "$run_dir/server.log" >&2
  exit 1
fi
rss_end=$(rss_kib) fds_end=$(fd_count)
rss_peak=$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")
alive=0 && server_alive && alive=1
final_metrics=$(metrics)
echo "$final_metrics" >"$run_dir/metrics-end.json"
phase finished

load=$(load_totals "$run_dir"/mixed-{async,sync,offload,pages,blocking}.json)
misbehave=$(cat "$run_dir/mixed-misbehave.json")
slowloris=$(cat "$run_dir/slowloris.json")
worst_during=$(worst_p99_ms "$run_dir/p99-during.json")
cut_ok=$(jq --argjson r "$read_timeout" '
  if .cut_after == null then 0
  elif (.outcomes | keys | all(startswith("cut"))) and .cut_after.min >= $r - 0.25
       and .cut_after.max <= $r + 1 and (.connect_failed | length) == 0 then 1 else 0 end' <<<"$slowloris")
load_ok=$(jq '.failed == 0 | if . then 1 else 0 end' <<<"$load")
{
  echo
  echo "== soak report ($duration s) =="
  echo "server RSS:       start $(mib "$rss_start") (after warm-up), end $(mib "$rss_end") ($(percent_change "$rss_start" "$rss_end")); cold $(mib "$rss_cold"), peak $(mib "$rss_peak")"
  echo "  end vs the warm-up's peak RSS ($(mib "$peak_start")): $(percent_change "$peak_start" "$rss_end") (growth past it would mean a leak)"
  echo "  RSS by phase:   $(awk -F'\t' '$2 != "" {last[$4] = $2; if (!($4 in seen)) {seen[$4] = 1; order[++n] = $4}}
    END {for (i = 1; i <= n; i++) printf "%s%s %.1f", (i > 1 ? ", " : ""), order[i], last[order[i]] / 1024; print " MiB (at the end of each)"}' "$run_dir/timeline.tsv")"
  echo "server open fds:  start $fds_start (after warm-up), end $fds_end; cold $fds_cold; $fds_during_attack during the slowloris attack"
  jq -r '"requests served:  \(.requests_total) answered (by status: \(.by_status | tojson)), \(.connections_turned_away_total) connections turned away with 503"' <<<"$final_metrics"
  echo "p99 of /async-endpoint?sleep=0 (per sample of 2,000 requests, 20 at a time):"
  echo "  before attack:  $(p99_figures "$run_dir/p99-before.json")"
  echo "  during attack:  $(p99_figures "$run_dir/p99-during.json")"
  jq -r --argjson open "$open_during_attack" '"slowloris:        \(.attackers) attackers (\($open) connections open on the server 2 s in), \(.connections) connections over \(.seconds) s, \(.header_lines_sent) header lines sent",
    "  cut after:      min \(.cut_after.min) s, median \(.cut_after.median) s, p99 \(.cut_after.p99) s, max \(.cut_after.max) s (--read-timeout \(.read_timeout) s)",
    "  outcomes:       \(.outcomes | tojson); connect failures \(.connect_failed | tojson)"' <<<"$slowloris"
  jq -r '"normal load:      \(.count) requests in \(.runs) client runs: \(.ok) ok, \(.failed) failed; statuses \(.statuses | tojson)",
    "  failures:       \(.failures | tojson)"' <<<"$load"
  jq -r '"misbehaving:      \(.attempts) connections, \(.unexpected) with an unexpected outcome",
    (.kinds | to_entries[] | "  \(.key):\(" " * (32 - (.key | length))) \(.value.outcomes | to_entries | map("\(.key) \(.value)") | join(", "))\(if .value.unexpected > 0 then "   <- expected \(.value.expected | join(" or "))" else "" end)")' <<<"$misbehave"
  echo "burst:            $(burst_outcomes "$run_dir/burst.json")"
  echo "server log:       $(grep -c 'WARN' "$run_dir/server.log" || true) warnings; by kind:"
  sed -n 's/.*| //p' "$run_dir/server.log" | grep -v '^listening' | sed 's/[0-9][0-9.]*/N/g' |
    sort | uniq -c | sort -rn | head -6 | sed 's/^/  /'
  echo "checks:"
  check "p99 during slowloris < 50 ms" "$(awk -v w="$worst_during" 'BEGIN {print (w < 50) ? 1 : 0}')" \
    "worst sample $(printf '%.2f' "$worst_during") ms"
  check "attackers cut at the read timeout (+1 s)" "$cut_ok" \
    "$(jq -r '"\(.cut_after.min)-\(.cut_after.max) s, \(.outcomes | tojson)"' <<<"$slowloris")"
  check "normal requests all answered" "$load_ok" "$(jq -r '"\(.failed) of \(.count) failed"' <<<"$load")"
  check "burst: 200, 503 or refused, nothing else" "$(burst_clean "$run_dir/burst.json")" \
    "$(jq -c '.outcomes' "$run_dir/burst.json")"
  check "server alive" "$alive" "pid $server_pid, /healthz"
  check "RSS within 10% of start" "$(within_10_percent "$rss_start" "$rss_end")" \
    "$(mib "$rss_start") -> $(mib "$rss_end")"
  check "open fds within 10% of start" "$(within_10_percent "$fds_start" "$fds_end")" \
    "$fds_start -> $fds_end"
  echo "files: $run_dir"
} >"$run_dir/report.txt"  # not a pipe into tee: check() counts failures in this shell
cat "$run_dir/report.txt"
[ "$failed_checks" = 0 ] || exit 1
