#!/usr/bin/env bash
# A benchmark, not a test: the database lesson's three ToDo flavours on a MariaDB of its own
# (scripts/db.sh, data in build/bench-mariadb), requests per second with asyncscope-client's
# sustained mode (--duration: -c connections kept alive, each asking again once answered).
# Two workloads: GET /P/tasks on 20 rows, and a mix (each connection creates a task, lists,
# marks it done, deletes it: --todo-mix); at 1, 10 and 100 connections, with ?sleep=0 and
# ?sleep=0.05 (the database waits 50 ms per request). The server logs at warn. Loopback only.
#
# Usage: scripts/bench-db.sh [SECONDS=3]   seconds per measurement (36 of them, plus draining)
set -euo pipefail
source "$(dirname "$0")/deps.sh"

seconds=${1:-3}
case "$seconds" in '' | *[!0-9.]*)
  echo "Usage: scripts/bench-db.sh [SECONDS=3]" >&2; exit 2 ;;
esac
flavours="sync/tasks async/tasks async-wrong/tasks"
connections="1 10 100"
sleeps="0 0.05"

install_dependencies
build_dir=$(build_asyncscope Release asyncscope-server asyncscope-client)
client_bin="$build_dir/client/asyncscope-client"
db_dir="$asyncscope_root/build/bench-mariadb"
log="$asyncscope_root/build/bench-db-server.log"
results="$asyncscope_root/build/bench-db-results.md"

cleanup() {
  stop_server
  "$asyncscope_root/scripts/db.sh" stop --dir "$db_dir" || true
}
trap cleanup EXIT
db_url=$("$asyncscope_root/scripts/db.sh" start --dir "$db_dir")
db_port=${db_url##*:}
db_port=${db_port%%/*}
start_server "$build_dir/server/asyncscope-server" "$log" --db "$db_url" --log-level warn
port=$server_port

# The tables as the list workload wants them: 20 tasks, none done. Straight into MariaDB as the
# demo user, so that no request of the benchmark is spent on it.
seed_20_rows() {
  local values
  values=$(seq -f "('task %g')" 1 20 | paste -sd,)
  mariadb --no-defaults -h 127.0.0.1 -P "$db_port" -u demo -pdemo demo \
    -e "DELETE FROM dones; DELETE FROM tasks; INSERT INTO tasks (title) VALUES $values;"
}

echo "asyncscope bench-db: GET /P/tasks (20 rows) and a create/list/done/delete mix, ${seconds} s each"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server: 1 loop thread, 40 pool threads, 64 pool connections, --log-level warn"
echo "MariaDB $(mariadb --version | sed -n 's/.*Distrib \([^,]*\),.*/\1/p'), 127.0.0.1:$db_port"
for flavour in $flavours; do  # each flavour's connections opened before it is measured
  "$client_bin" -e "$flavour" -c 100 --port "$port" -q >/dev/null || true
done

# Requests/s of one measurement; "n/a" if the client printed no summary, and "!" after the
# figure when some requests failed (the count follows).
measure() {
  local target=$1 conns=$2 summary
  shift 2
  summary=$("$client_bin" -e "$target" -c "$conns" --duration "$seconds" --port "$port" \
    --timeout 30 --json "$@") || true
  jq -r 'if .requests_per_second == null then "n/a"
         else (.requests_per_second | floor | tostring) +
              (if .failed > 0 then " !" + (.failed | tostring) else "" end) end' \
    <<<"$summary" 2>/dev/null || echo "n/a"
}

rows=()
for workload in list mix; do
  for sleep_s in $sleeps; do
    for flavour in $flavours; do
      row="$flavour|$workload|$sleep_s"
      for conns in $connections; do
        printf '  %-18s %-4s sleep=%-4s c=%-3s ... ' "$flavour" "$workload" "$sleep_s" "$conns"
        if [ "$workload" = list ]; then
          seed_20_rows
          rps=$(measure "$flavour?sleep=$sleep_s" "$conns")
        else
          rps=$(measure "$flavour?sleep=$sleep_s" "$conns" --todo-mix)
        fi
        echo "$rps req/s"
        row="$row|$rps"
      done
      rows+=("$row")
    done
  done
done

{
  echo "| flavour | workload | sleep (s) | c=1 (req/s) | c=10 (req/s) | c=100 (req/s) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  for row in "${rows[@]}"; do
    IFS='|' read -r f w s a b c <<<"$row"
    echo "| $f | $w | $s | $a | $b | $c |"
  done
} >"$results"

echo
printf '%-18s %-5s %6s %10s %10s %10s\n' flavour work sleep c=1 c=10 c=100
for row in "${rows[@]}"; do
  IFS='|' read -r f w s a b c <<<"$row"
  printf '%-18s %-5s %6s %10s %10s %10s\n' "$f" "$w" "$s" "$a" "$b" "$c"
done
echo
echo "requests/s answered (first send to last answer); '!N': N requests failed"
echo "Table (markdown): $results; server log: $log"
