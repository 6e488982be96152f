#!/usr/bin/env bash
# The lesson, measured: starts the server, fires 1, 2 and 50 requests at once at each endpoint,
# and prints how long they took next to what the lesson predicts. Then the database lesson: the
# same counts at the book's ToDo API on a MariaDB of its own (scripts/db.sh).
set -euo pipefail
source "$(dirname "$0")/deps.sh"

usage() {
  cat <<'TEXT'
Usage: scripts/demo.sh [--counts "1 2 50"] [--sleep SECONDS] [--endpoints "..."] [--pool-threads N]
                       [--no-db] [--build-dir DIR]

Builds asyncscope (Release), starts asyncscope-server on a free port, and for every endpoint
and count runs `asyncscope-client -e ENDPOINT -c COUNT` (all requests at once). Prints a table
of measured vs expected total time, writes it to build/demo-results.md, and stops the server.
The server's log (every step, with process and thread ids) is kept in build/demo-server.log.

Then the database lesson: it starts a MariaDB of its own (scripts/db.sh, data in
build/demo-mariadb), restarts the server with --db, and does the same for
`GET /P/tasks?sleep=SECONDS` on the three ToDo flavours (sync/tasks, async/tasks,
async-wrong/tasks), where the database itself waits. A second table; the database is stopped at
the end. Its server log: build/demo-db-server.log. async-wrong/tasks at 50 takes 50 sleeps.

  --counts "1 2 50"        how many requests at once (default: the lesson's 1, 2 and 50)
  --sleep SECONDS          simulated I/O per request (default 1)
  --endpoints "..."        default "sync-endpoint async-endpoint async-wrong"
  --pool-threads N         worker pool size (default 40, like FastAPI)
  --no-db                  skip the database lesson
  --build-dir DIR          use the asyncscope-server and asyncscope-client already built in DIR
                           (e.g. build/debug) instead of building Release
TEXT
}

counts="1 2 50"
sleep_s=1
endpoints="sync-endpoint async-endpoint async-wrong"
pool=40
with_db=1
build_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --counts) counts=$2; shift 2 ;;
    --sleep) sleep_s=$2; shift 2 ;;
    --endpoints) endpoints=$2; shift 2 ;;
    --pool-threads) pool=$2; shift 2 ;;
    --no-db) with_db=0; shift ;;
    --build-dir) build_dir=$(cd "$2" && pwd); shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

install_dependencies
if [ -z "$build_dir" ]; then
  echo "Building asyncscope (Release)..."
  build_dir=$(build_asyncscope Release asyncscope-server asyncscope-client)
fi
server_bin="$build_dir/server/asyncscope-server"
client_bin="$build_dir/client/asyncscope-client"
log="$asyncscope_root/build/demo-server.log"
db_log="$asyncscope_root/build/demo-db-server.log"
db_dir="$asyncscope_root/build/demo-mariadb"
results="$asyncscope_root/build/demo-results.md"

db_started=0
cleanup() {
  stop_server
  if [ "$db_started" = 1 ]; then "$asyncscope_root/scripts/db.sh" stop --dir "$db_dir" || true; fi
}
trap cleanup EXIT

# What the lesson predicts for COUNT requests at once, in seconds. The ToDo flavours wait where
# the timer endpoints do: sync on the pool, async on the loop, async-wrong blocking the loop.
expected_time() {
  local endpoint=$1 count=$2
  case "$endpoint" in
    sync-endpoint | sync/tasks) echo "$(( (count + pool - 1) / pool )) * $sleep_s" | bc -l ;;
    async-endpoint | async/tasks) echo "$sleep_s" ;;
    async-wrong | async-wrong/tasks) echo "$count * $sleep_s" | bc -l ;;
  esac
}

# Fires COUNT requests at once at TARGET (a client -e value) and appends a row to `rows`.
rows=()
all_ok=1
measure() {
  local endpoint=$1 target=$2 count=$3 expected summary measured mark
  expected=$(expected_time "$endpoint" "$count")
  printf '  %-17s x %-3s (expect ~%s s) ... ' "$endpoint" "$count" "$(printf '%.1f' "$expected")"
  summary=$("$client_bin" -e "$target" -c "$count" --port "$port" --json) || true
  measured=$(jq -r '.total_time' <<<"$summary")
  # As predicted: at most 10% below, and above by at most 5% plus a quarter of one sleep
  # (start-up, logging, and a busy machine).
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
     (.server_threads|length|tostring), $m, .verdict,
     (.server_threads|to_entries|map(.key)|if length > 3 then (.[0:3]|join(", ")) + ", ..."
      else join(", ") end)] | @tsv' <<<"$summary")")
}

# The rows so far, as markdown (appended to the results file) and as a table on the screen.
print_rows() {
  local title=$1
  {
    echo "## $title"
    echo
    echo "| endpoint | requests | expected (s) | measured (s) | max overlap | server threads | as expected | verdict |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | :---: | --- |"
    for row in "${rows[@]}"; do
      IFS=$'\t' read -r e c x m o t k v n <<<"$row"
      printf '| %s | %s | %.2f | %.2f | %s | %s (%s) | %s | %s |\n' "$e" "$c" "$x" "$m" "$o" "$t" "$n" "$k" "$v"
    done
    echo
  } >>"$results"
  echo
  echo "$title"
  printf '%-17s %8s %10s %10s %8s %8s %10s  %s\n' endpoint requests expected measured overlap threads "as expected" "thread names"
  for row in "${rows[@]}"; do
    IFS=$'\t' read -r e c x m o t k v n <<<"$row"
    printf '%-17s %8s %8.2f s %8.2f s %8s %8s %10s  %s\n' "$e" "$c" "$x" "$m" "$o" "$t" "$k" "$n"
  done
  echo
  rows=()
}

: >"$results"
start_server "$server_bin" "$log" --sleep "$sleep_s" --pool-threads "$pool"
port=$server_port
echo "Server: pid $server_pid on port $port, sleep ${sleep_s} s, pool of $pool threads, 1 loop thread"
echo
for endpoint in $endpoints; do
  for count in $counts; do
    measure "$endpoint" "$endpoint" "$count"
  done
done
print_rows "The timer lesson: GET /ENDPOINT, ${sleep_s} s of simulated I/O"
stop_server

if [ "$with_db" = 1 ]; then
  echo "The database lesson: starting MariaDB (scripts/db.sh, data in $db_dir)..."
  db_url=$("$asyncscope_root/scripts/db.sh" start --dir "$db_dir")
  db_started=1
  start_server "$server_bin" "$db_log" --db "$db_url" --pool-threads "$pool" --max-sleep 60
  port=$server_port
  echo "Server: pid $server_pid on port $port, --db ${db_url/:demo@/:***@}, pool of $pool threads"
  echo "Each request: GET /P/tasks?sleep=${sleep_s}, the database itself waiting (DO SLEEP)"
  echo
  for endpoint in sync/tasks async/tasks async-wrong/tasks; do
    for count in $counts; do
      measure "$endpoint" "$endpoint?sleep=$sleep_s" "$count"
    done
  done
  print_rows "The database lesson: GET /P/tasks?sleep=${sleep_s} on MariaDB"
  stop_server
fi

echo "Tables (markdown): $results"
echo "Server logs:       $log   (try: grep ' #3 ' $log)"
if [ "$with_db" = 1 ]; then echo "                   $db_log"; fi
[ "$all_ok" = 1 ] || { echo "Some rows did not match the lesson's prediction." >&2; exit 1; }
