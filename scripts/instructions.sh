#!/usr/bin/env bash
# Instructions per keep-alive request on the server's loop thread, counted by callgrind: a figure
# that a loaded machine cannot change (wall-clock figures here swing by 2x from run to run), so
# a change to the request path can be measured before and after it (docs/results.md).
#
# Usage: scripts/instructions.sh [SERVER_BINARY] [--seconds S] [--path TARGET]
#                                [--connections N] [--wrk-connections N] [--keep DIR]
#   SERVER_BINARY    default build/release/server/asyncscope-server (a Release build carries -g,
#                    so the profile --keep leaves names functions)
#   --seconds S      how long wrk runs once counting has begun (default 5)
#   --path TARGET    what wrk asks for (default /async-endpoint?sleep=0)
#   --connections N  count new connections instead: asyncscope-client sends N requests to
#                    /async-endpoint at sleep 0, each on its own connection; the figures are per
#                    connection, the loop thread's and every thread's (the acceptor's included)
#   --wrk-connections N  wrk's connections (default 2). At 64, as peers.sh runs it, 64 requests
#                    are in flight at once, which changes what memory the loop can reuse
#   --keep DIR       keep the callgrind files there (callgrind_annotate reads them)
#
# The server runs under valgrind with logs off and one loop thread. Counting (callgrind's
# instrumentation) starts after a warm-up (1 s of wrk, or 500 connections) and covers one wrk run
# (-t1 -c2 unless told), or the N connections; the figure is the loop thread's instructions over
# the requests completed. Needs valgrind and wrk (apt-get install).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
server="$root/build/release/server/asyncscope-server"
seconds=5
target='/async-endpoint?sleep=0'
keep=
connections=
wrk_connections=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --path) target=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --wrk-connections) wrk_connections=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;  # the comment above
    -*) echo "instructions.sh: unknown option $1" >&2; exit 2 ;;
    *) server=$1; shift ;;
  esac
done
for tool in valgrind callgrind_control wrk curl; do
  command -v "$tool" >/dev/null || { echo "instructions.sh: needs $tool" >&2; exit 1; }
done
[ -x "$server" ] || { echo "instructions.sh: no server binary at $server" >&2; exit 1; }
for n in "$connections" "$wrk_connections"; do
  case "$n" in *[!0-9]* | 0*) echo "instructions.sh: --connections and --wrk-connections take a positive number" >&2; exit 2 ;; esac
done
client="$(dirname "$server")/../client/asyncscope-client"
[ -z "$connections" ] || [ -x "$client" ] || { echo "instructions.sh: no client at $client" >&2; exit 1; }

work=$(mktemp -d)
valgrind_pid=
cleanup() {
  [ -n "$valgrind_pid" ] && kill "$valgrind_pid" 2>/dev/null && wait "$valgrind_pid" 2>/dev/null
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$work"/callgrind.out.*.1-* "$keep"/ 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
  --callgrind-out-file="$work/callgrind.out.%p" \
  "$server" --port "$port" --log-level off --loop-threads 1 >"$work/server.log" 2>&1 &
valgrind_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 300); do
  curl -sf "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$valgrind_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
# new_connections N: N requests at sleep 0, each on its own connection, at most 256 at a time.
new_connections() {
  "$client" -e /async-endpoint -c "$1" --sleep 0 --port "$port" --timeout 60 -q >/dev/null
}
if [ -n "$connections" ]; then
  new_connections 500  # warm-up: first-time allocations, lazy binding
  callgrind_control -i on "$valgrind_pid" >/dev/null 2>&1
  new_connections "$connections" || { echo "instructions.sh: the client failed" >&2; exit 1; }
  requests=$connections
else
  wrk -t1 -c"$wrk_connections" -d1s "$url$target" >/dev/null  # warm-up: first-time allocations, lazy binding
  callgrind_control -i on "$valgrind_pid" >/dev/null 2>&1
  out=$(wrk -t1 -c"$wrk_connections" -d"${seconds}s" "$url$target")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
fi
callgrind_control -i off "$valgrind_pid" >/dev/null 2>&1
callgrind_control -d "$valgrind_pid" >/dev/null 2>&1
kill "$valgrind_pid"; wait "$valgrind_pid" 2>/dev/null || true; valgrind_pid=

# The dump (part 1) has one file per thread; the loop thread is the one that ran the requests,
# the busiest.
busiest=0 all=0
for f in "$work"/callgrind.out.*.1-*; do
  n=$(awk '/^totals:/ {print $2}' "$f")
  all=$((all + ${n:-0}))
  [ "${n:-0}" -gt "$busiest" ] && busiest=$n
done
[ "${requests:-0}" -gt 0 ] || { echo "instructions.sh: wrk completed no requests" >&2; exit 1; }
if [ -n "$connections" ]; then
  echo "$connections new connections: $((busiest / requests)) instructions per connection on" \
    "the loop thread, $((all / requests)) on all threads (the acceptor's included)"
else
  echo "$target, $wrk_connections connections: $requests requests, $busiest instructions on" \
    "the loop thread, $((busiest / requests)) per request"
fi
