#!/usr/bin/env bash
# Keeps a peer honest: starts peers/fastapi_app.py, peers/go/main.go or nginx with
# peers/njs/async_endpoint.js on a free port of 127.0.0.1 and checks, with the real
# asyncscope-client, that its endpoints (njs has only /async-endpoint) answer the JSON the client
# reads, at the ?sleep= asked for, and run where the lesson says they run.
# Exit 77 (skipped) when the peer's runtime is not installed (scripts/deps.sh lists it).
#
# Usage: peer_lesson_test.sh CLIENT_BINARY fastapi|go|njs
set -euo pipefail

client=$1
peer=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
python=/usr/bin/python3 # Debian's, which has Debian's FastAPI
sleep_s=0.5
endpoints=(sync-endpoint async-endpoint async-wrong)

fail() {
  echo "FAIL ($peer): $*" >&2
  [ -f "$work/server.log" ] && { echo "--- server log:" >&2; tail -20 "$work/server.log" >&2; }
  exit 1
}

server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

case "$peer" in
  fastapi)
    "$python" -c 'import fastapi, uvicorn' 2>/dev/null ||
      { echo "SKIPPED: python3-fastapi or python3-uvicorn is not installed"; exit 77; }
    command=("$python" "$root/peers/fastapi_app.py" --port 0)
    ;;
  go)
    command -v go >/dev/null || { echo "SKIPPED: golang-go is not installed"; exit 77; }
    [ -n "${HOME:-}" ] || export GOCACHE="$work/go-cache"
    (cd "$root/peers/go" && GOPROXY=off GOFLAGS='' go build -o "$work/peer-go" .) ||
      fail "go build failed"
    command=("$work/peer-go" -port 0)
    ;;
  njs)
    [ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] && [ -x /usr/sbin/nginx ] ||
      { echo "SKIPPED: nginx or libnginx-mod-http-js is not installed"; exit 77; }
    command=("$root/peers/nginx/nginx.sh" --dir "$work/nginx")
    endpoints=(async-endpoint)
    ;;
  *) echo "usage: $0 CLIENT fastapi|go|njs" >&2; exit 2 ;;
esac

: >"$work/server.log" # it exists before sed reads it, whether or not the server has started
"${command[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 300); do
  port=$(sed -n 's|^listening on http://.*:\([0-9]*\)$|\1|p' "$work/server.log")
  [ -n "$port" ] && "$client" -e /healthz --port "$port" --timeout 2 -q >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start"
  port=
  sleep 0.1
done
[ -n "$port" ] || fail "the server did not answer /healthz within 30 s"

# run ENDPOINT COUNT: the client's JSON summary of COUNT calls at once.
run() {
  "$client" -e "$1" -c "$2" --sleep "$sleep_s" --port "$port" --json --timeout 30 || true
}

# expect ENDPOINT SUMMARY JQ_TEST: fails, showing the summary, unless the test holds.
expect() {
  jq -e "$3" >/dev/null <<<"$2" || fail "$1: expected $3, got $2"
}

for endpoint in "${endpoints[@]}"; do
  summary=$(run "$endpoint" 3)
  # Every answer parsed: the client counts the server's pid and threads and the sleep only
  # from answers it could read as asyncscope's endpoint_result.
  expect "$endpoint" "$summary" '.ok == 3 and .failed == 0'
  expect "$endpoint" "$summary" "(.server_pids | length) == 1 and (.server_threads | add) == 3"
  expect "$endpoint" "$summary" ".ideal_time == $sleep_s and .total_time >= $sleep_s"
  # Where it ran. A blocked event loop cannot start a second call before the first ends:
  # FastAPI's /async-wrong never overlaps. Everything else does here, Go's /async-wrong too.
  if [ "$peer/$endpoint" = fastapi/async-wrong ]; then
    expect "$endpoint" "$summary" ".max_overlap == 1 and .total_time >= 3 * $sleep_s"
  else
    expect "$endpoint" "$summary" '.max_overlap >= 2'
  fi
  echo "ok ($peer): $endpoint x3: $(jq -r .verdict <<<"$summary")"
done
if [ "$peer" = fastapi ]; then
  expect threads "$(run async-endpoint 1)" '.server_threads | keys == ["MainThread"]'
  expect threads "$(run sync-endpoint 1)" '.server_threads | keys | .[0] | startswith("worker-")'
fi

# ?sleep= as asyncscope reads it: plain decimal seconds from 0 to 60, given once.
statuses() {
  "$client" -e "/async-endpoint?$1" --port "$port" --json --timeout 10 | jq -c .statuses || true
}
for query in sleep=.25 sleep=0.; do
  expect "?$query" "$(statuses "$query")" '. == {"200": 1}'
done
tiny="sleep=0.$(printf '0%.0s' $(seq 400))1" # too small for a double: not 0
for query in sleep=abc sleep=61 sleep=1e0 sleep=%2B1 sleep=-0 'sleep=1&sleep=1' 'sleep=1;0' \
  sleep=%zz "$tiny"; do
  expect "?${query:0:20}" "$(statuses "$query")" '. == {"400": 1}'
done
echo "ok ($peer): ?sleep= is read as asyncscope reads it (.25 and 0. yes; 61, 1e0, +1, -0 no)"
