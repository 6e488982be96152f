#!/usr/bin/env bash
# asyncscope next to the servers people would pick instead, in one run on one machine:
# (a) the lesson's 1/2/50 matrix against asyncscope, FastAPI on uvicorn, and Go's net/http;
# (b) 10,000 concurrent requests at sleep=1 and at sleep=0 against asyncscope, nginx
#     (echo_sleep), nginx building the lesson's answer in njs, Go and uvicorn, with
#     asyncscope-client;
# (c) sleep-0 keep-alive throughput of each with wrk -t1 -c64;
# (d) one table of the figures, as ratios to nginx (and asyncscope to njs and uvicorn).
# Everything on 127.0.0.1, on free ports; every server is stopped on exit. See docs/peers.md.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

usage() {
  cat <<'TEXT'
Usage: scripts/peers.sh [--quick] [--rounds N] [--storm N] [--wrk-seconds S] [--no-matrix]
                        [--build-dir DIR] [--out DIR]

Installs what is missing (Go, FastAPI, uvicorn, nginx with its echo and njs modules, wrk),
builds asyncscope (Release) and the Go peer, then measures, in this order:
  (a) the lesson: 1, 2 and 50 calls at once to each of the three endpoints of asyncscope,
      FastAPI (peers/fastapi_app.py) and Go (peers/go/main.go), logs at info, sleep 1 s;
  (b) N concurrent requests (default 10,000), each on its own connection, at sleep=1 and at
      sleep=0, against asyncscope, nginx, njs, Go and uvicorn, logs at warn. nginx answers
      from its config (a timer, or fixed bytes); njs is nginx running the lesson's
      /async-endpoint in JavaScript (peers/nginx): it reads ?sleep=, waits on a timer and
      builds the lesson's fields, as asyncscope does;
  (c) keep-alive throughput at sleep=0: wrk -t1 -c64 for S seconds against each.
(b) and (c) go round the servers in turn, ROUNDS times, starting one further each round.
Takes about six minutes once built. Prints the tables, writes them to build/peers-results.md;
every measurement is in build/peers/measurements.tsv, the servers' logs in build/peers/.

  --quick          sleep 0.25 s in (a), 2,000 in (b), 2 s of wrk, 1 round: about two minutes
  --rounds N       rounds of (b) and (c) (default 2)
  --storm N        concurrent requests in (b) (default 10000)
  --wrk-seconds S  length of each wrk run in (c) (default 5)
  --no-matrix      skip (a)
  --build-dir DIR  use the asyncscope-server and asyncscope-client already built in DIR instead
                   of building Release (a Debug or sanitizer build checks the script, but its
                   figures say nothing about speed)
  --out DIR        write the tables (DIR/peers-results.md), measurements and logs to DIR
                   instead of build/
TEXT
}

matrix_sleep=1
rounds=2
storm=10000
wrk_seconds=5
matrix=1
build_dir=
out_dir="$asyncscope_root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) matrix_sleep=0.25 storm=2000 wrk_seconds=2 rounds=1; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --storm) storm=$2; shift 2 ;;
    --wrk-seconds) wrk_seconds=$2; shift 2 ;;
    --no-matrix) matrix=0; shift ;;
    --build-dir) [ -d "${2:-}" ] || { echo "peers.sh: --build-dir needs a folder" >&2; exit 2; }
      build_dir=$(cd "$2" && pwd); shift 2 ;;
    --out) [ -n "${2:-}" ] || { echo "peers.sh: --out needs a folder" >&2; exit 2; }
      mkdir -p "$2" && out_dir=$(cd "$2" && pwd); shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "peers.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$rounds$storm$wrk_seconds" in *[!0-9]* | '')
  echo "peers.sh: --rounds, --storm and --wrk-seconds take whole numbers" >&2; exit 2 ;;
esac

ulimit -n "$(ulimit -Hn)" # one socket per request, on both sides
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((storm + 100)) ]; then
  echo "peers.sh: the open-file limit is $(ulimit -n), and each server needs one file for each" \
    "of the $storm connections in (b): lower --storm or raise the hard limit (ulimit -Hn)" >&2
  exit 2
fi

python=/usr/bin/python3 # Debian's, which has Debian's FastAPI (not a pyenv or venv python3)
work="$out_dir/peers"
results="$out_dir/peers-results.md"
measurements="$work/measurements.tsv"

# ---- Servers: start, wait for, stop -------------------------------------------------------

declare -A server_pids=() # name -> pid, for the trap
port=

stop_peer() {
  local name=$1 pid=${server_pids[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "server_pids[$name]"
}

stop_all() {
  for name in "${!server_pids[@]}"; do stop_peer "$name"; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Answers 0 once GET PATH on PORT is answered with a 2xx.
answers() {
  "$client" -e "$2" --port "$1" --timeout 2 -q >/dev/null 2>&1
}

# Starts NAME (the command after LOG), waits until it prints its `listening on` line and
# answers GET PATH. Sets port.
start_listening() {
  local name=$1 log=$2 path=$3
  shift 3
  : >"$log" # it exists before sed reads it below, whether or not the server has started yet
  "$@" >"$log" 2>&1 &
  server_pids[$name]=$!
  for _ in $(seq 300); do # up to 30 s: Python's first import on a busy machine is slow
    port=$(sed -n 's|^listening on http://.*:\([0-9]*\)$|\1|p' "$log")
    [ -n "$port" ] && answers "$port" "$path" && return 0
    kill -0 "${server_pids[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "peers.sh: $name did not start:" >&2
  cat "$log" >&2
  exit 1
}

# start NAME LOG_LEVEL: starts one server, with logs at info (the lesson) or warn (load).
start() {
  local name=$1 level=$2 log="$work/$1-$2.log"
  case "$name" in
    asyncscope)
      start_listening "$name" "$log" /healthz "$server_bin" --port 0 --log-level "$level" \
        --max-connections $((storm + 5000)) ;;
    fastapi | uvicorn)
      start_listening "$name" "$log" /healthz "$python" "$asyncscope_root/peers/fastapi_app.py" \
        --port 0 --log-level "$level" ;;
    go)
      start_listening "$name" "$log" /healthz env GOMAXPROCS="$go_procs" "$go_bin" -port 0 \
        -log-level "$level" ;;
    nginx) # answers from its config: nginx's ceiling
      start_listening "$name" "$log" /healthz "$asyncscope_root/peers/nginx/nginx.sh" \
        --config-answers --dir "$work/nginx" ;;
    njs) # the lesson's /async-endpoint in nginx's JavaScript
      start_listening "$name" "$log" /healthz "$asyncscope_root/peers/nginx/nginx.sh" \
        --dir "$work/njs" ;;
  esac
  ports[$name]=$port
}

# ---- Setup ------------------------------------------------------------------------------

install_dependencies "${asyncscope_peer_packages[@]}"
if [ -z "$build_dir" ]; then
  echo "Building asyncscope (Release)..." >&2
  build_dir=$(build_asyncscope Release asyncscope-server asyncscope-client)
fi
server_bin="$build_dir/server/asyncscope-server"
client="$build_dir/client/asyncscope-client"
[ -x "$server_bin" ] && [ -x "$client" ] ||
  { echo "peers.sh: no asyncscope-server and asyncscope-client in $build_dir" >&2; exit 2; }
mkdir -p "$work"
echo "Building the Go peer..." >&2
go_bin="$work/peer-go"
[ -n "${HOME:-}" ] || export GOCACHE="$work/go-cache" # go needs a cache folder
(cd "$asyncscope_root/peers/go" && GOPROXY=off GOFLAGS='' go build -o "$go_bin" .)
go_procs=1 # one OS thread running Go code, as asyncscope has one loop thread, nginx one worker
declare -A ports=()
printf 'part\tserver\ttest\tround\tvalue\tunit\tok\tfailed\tdetail\n' >"$measurements"

record() { # part server test round value unit ok failed detail
  local IFS=$'\t'
  echo "$*" >>"$measurements"
}

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
machine="$(nproc) cores ($cpu), load $(cut -d' ' -f1-3 /proc/loadavg), open-file limit $(ulimit -n)"
echo "peers.sh: $machine" >&2

# ---- (a) The lesson's matrix --------------------------------------------------------------

matrix_servers=(asyncscope fastapi go)
matrix_endpoints=(sync-endpoint async-endpoint async-wrong)
declare -A matrix_cell=()

# matrix_call NAME ENDPOINT COUNT: COUNT calls at once; the client's summary goes to a file.
matrix_call() {
  "$client" -e "$2" -c "$3" --sleep "$matrix_sleep" --port "${ports[$1]}" --json --timeout 120 \
    >"$work/matrix-$1-$2-$3.json" 2>/dev/null || true
}

# matrix_read NAME ENDPOINT COUNT: records one call's figures and fills its cell of the table.
matrix_read() {
  local summary total ok failed threads overlap
  summary=$(cat "$work/matrix-$1-$2-$3.json")
  if ! jq -e .count >/dev/null 2>&1 <<<"$summary"; then
    matrix_cell[$1,$2,$3]="no answer"
    return
  fi
  IFS=$'\t' read -r total ok failed threads overlap < <(jq -r \
    '[.total_time, .ok, .failed, (.server_threads | length), .max_overlap] | @tsv' <<<"$summary")
  record a "$1" "$2 x$3" 1 "$total" s "$ok" "$failed" "threads=$threads overlap=$overlap"
  matrix_cell[$1,$2,$3]=$(printf '%6.2f s %3s thr' "$total" "$threads")
  [ "$failed" = 0 ] || matrix_cell[$1,$2,$3]+=" ($failed failed)"
}

if [ "$matrix" = 1 ]; then
  # Fifty calls to a blocked loop take fifty sleeps of waiting and no CPU: that one runs in the
  # background while the next server is measured, and its server is stopped at the end.
  background_calls=()
  for name in "${matrix_servers[@]}"; do
    start "$name" info
    for endpoint in "${matrix_endpoints[@]}"; do
      for count in 1 2 50; do
        if [ "$endpoint/$count" = async-wrong/50 ] && [ "$name" != go ]; then
          echo "  (a) $name $endpoint x $count: in the background (one call after another)" >&2
          matrix_call "$name" "$endpoint" "$count" &
          background_calls+=($!)
          continue
        fi
        matrix_call "$name" "$endpoint" "$count"
        matrix_read "$name" "$endpoint" "$count"
        echo "  (a) $name $endpoint x $count: ${matrix_cell[$name,$endpoint,$count]}" >&2
      done
    done
  done
  [ ${#background_calls[@]} -eq 0 ] || wait "${background_calls[@]}"
  for name in asyncscope fastapi; do matrix_read "$name" async-wrong 50; done
  stop_all
fi

# ---- (b) and (c): load, the servers in turn -----------------------------------------------

load_servers=(nginx njs asyncscope go uvicorn)
# The path each one serves for a sleep-1 wait, and for an immediate answer.
declare -A wait_path=([nginx]=/echo_sleep [njs]=/async-endpoint [asyncscope]=/async-endpoint
  [go]=/async-endpoint [uvicorn]=/async-endpoint)
declare -A fixed_path=([nginx]=/fixed [njs]=/async-endpoint [asyncscope]=/async-endpoint
  [go]=/async-endpoint [uvicorn]=/async-endpoint)
declare -A figure=() # server,test,round -> seconds or requests/s

for name in "${load_servers[@]}"; do start "$name" warn; done
for round in $(seq "$rounds"); do
  shift_by=$(((round - 1) % ${#load_servers[@]}))
  order=("${load_servers[@]:shift_by}" "${load_servers[@]:0:shift_by}")
  for sleep_s in 1 0; do
    for name in "${order[@]}"; do
      path=${wait_path[$name]}
      [ "$sleep_s" = 0 ] && path=${fixed_path[$name]}
      printf '  (b) round %s: %-10s %s x %s at sleep=%s ... ' \
        "$round" "$name" "$path" "$storm" "$sleep_s" >&2
      summary=$("$client" -e "$path" -c "$storm" --sleep "$sleep_s" --port "${ports[$name]}" \
        --json --timeout 60 2>/dev/null) || true
      if ! jq -e .count >/dev/null 2>&1 <<<"$summary"; then
        echo "no summary" >&2
        continue
      fi
      IFS=$'\t' read -r total ok failed p99 max < <(jq -r '[.total_time, .ok, .failed,
        (.latency.p99 // 0), (.latency.max // 0)] | @tsv' <<<"$summary")
      printf '%.2f s (%s ok, %s failed, p99 %.2f s)\n' "$total" "$ok" "$failed" "$p99" >&2
      record b "$name" "storm sleep=$sleep_s" "$round" "$total" s "$ok" "$failed" \
        "p99=$p99 max=$max failures=$(jq -c .failures <<<"$summary")"
      [ "$failed" = 0 ] && figure[$name,storm$sleep_s,$round]=$total
      sleep 1 # let the closed connections go
    done
  done
  for name in "${order[@]}"; do
    url="http://127.0.0.1:${ports[$name]}${fixed_path[$name]}?sleep=0"
    printf '  (c) round %s: %-10s wrk -t1 -c64 -d%ss %s ... ' \
      "$round" "$name" "$wrk_seconds" "${fixed_path[$name]}" >&2
    out=$(wrk -t1 -c64 -d"${wrk_seconds}s" "$url" 2>&1) || true
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
    bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
    errors=$(sed -n 's/^ *Socket errors: *//p' <<<"$out")
    if [ -z "$rps" ]; then
      echo "no result: $out" >&2
      continue
    fi
    printf '%.0f requests/s%s%s\n' \
      "$rps" "${bad:+, $bad non-2xx}" "${errors:+, socket errors: $errors}" >&2
    record c "$name" "wrk -c64 sleep=0" "$round" "$rps" req/s "" "${bad:-0}" "${errors:-}"
    [ -z "$bad" ] && figure[$name,wrk,$round]=$rps
    sleep 1
  done
done
stop_all

# ---- (d) The tables -----------------------------------------------------------------------

# median VALUES...: the middle value (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) print ""
    else if (NR % 2) print v[(NR + 1) / 2]
    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio SERVER TEST OTHER: the median over rounds of SERVER's figure / OTHER's in the same round.
ratio() {
  local values=() r
  for r in $(seq "$rounds"); do
    local a=${figure[$1,$2,$r]:-} b=${figure[$3,$2,$r]:-}
    [ -n "$a" ] && [ -n "$b" ] && values+=("$(echo "$a / $b" | bc -l)")
  done
  [ ${#values[@]} -gt 0 ] && printf '%.2f' "$(median "${values[@]}")" || echo "-"
}

# figure_text SERVER TEST: the median over rounds, in seconds or requests per second.
figure_text() {
  local values=() r
  for r in $(seq "$rounds"); do
    [ -n "${figure[$1,$2,$r]:-}" ] && values+=("${figure[$1,$2,$r]}")
  done
  [ ${#values[@]} -gt 0 ] || { echo "failed"; return; }
  case "$2" in
    wrk) printf '%.0f' "$(median "${values[@]}")" ;;
    *) printf '%.2f s' "$(median "${values[@]}")" ;;
  esac
}

{
  echo "# peers.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $machine."
  echo "Go runs with GOMAXPROCS=$go_procs in (b) and (c); asyncscope with 1 loop thread; nginx"
  echo "and njs with 1 worker each; uvicorn as 1 process. Rounds: $rounds; each ratio is taken"
  echo "within a round, then the median over the rounds. asyncscope: $server_bin."
  if [ "$matrix" = 1 ]; then
    echo
    echo "## (a) The lesson: N calls at once, sleep $matrix_sleep s" \
      "(total time, server threads that ran them)"
    echo
    echo '```'
    cells='%-15s %5s   %-18s %-18s %-18s\n'
    printf "$cells" endpoint calls asyncscope "FastAPI/uvicorn" "Go net/http"
    for endpoint in "${matrix_endpoints[@]}"; do
      for count in 1 2 50; do
        printf "$cells" "$endpoint" "$count" "${matrix_cell[asyncscope,$endpoint,$count]:--}" \
          "${matrix_cell[fastapi,$endpoint,$count]:--}" "${matrix_cell[go,$endpoint,$count]:--}"
      done
    done
    echo '```'
  fi
  echo
  echo "## (b) $storm concurrent requests, one connection each;" \
    "(c) keep-alive, wrk -t1 -c64 -d${wrk_seconds}s at sleep=0"
  echo
  echo '```'
  row='%-11s %12s %8s %12s %8s %12s %8s\n'
  printf "$row" server "${storm} @1s" "x nginx" "${storm} @0s" "x nginx" "wrk req/s" "x nginx"
  for name in "${load_servers[@]}"; do
    printf "$row" "$name" \
      "$(figure_text "$name" storm1)" "$(ratio "$name" storm1 nginx)" \
      "$(figure_text "$name" storm0)" "$(ratio "$name" storm0 nginx)" \
      "$(figure_text "$name" wrk)" "$(ratio "$name" wrk nginx)"
  done
  echo '```'
  echo
  for peer in njs uvicorn; do
    echo "asyncscope vs $peer: $(ratio asyncscope storm1 "$peer")x the time at ${storm} @1s," \
      "$(ratio asyncscope storm0 "$peer")x at ${storm} @0s," \
      "$(ratio asyncscope wrk "$peer")x the requests/s."
  done
  echo
  echo "nginx answers from its config: a timer (echo_sleep) at sleep 1, fixed bytes at sleep 0 and"
  echo "under wrk. njs is the same nginx running the lesson's /async-endpoint (peers/nginx): it"
  echo "reads ?sleep=, waits on a timer and builds the lesson's fields, as asyncscope does."
  echo "Times: lower is better (x nginx below 1 beats nginx). Requests/s: higher is better."
  echo "A run with any failed request counts as \"failed\" and is left out of the ratios; every"
  echo "measurement, failures included, is in $measurements."
} >"$results"

echo
cat "$results"
