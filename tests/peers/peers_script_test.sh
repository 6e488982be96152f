#!/usr/bin/env bash
# scripts/peers.sh run as docs/peers.md tells a user to, small (--quick, 500 at once, 1 s of
# wrk) and with the build under test instead of a Release build of its own: it exits 0, the
# lesson's matrix has every cell, the load table a figure for all five servers, and no
# asyncscope server reported a sanitizer finding. Its figures are not checked: a sanitizer
# build on a busy machine says nothing about speed (the script itself prints them).
# Exit 77 (skipped) when a package peers.sh needs is missing (scripts/deps.sh,
# asyncscope_peer_packages); scripts/test.sh installs them.
#
# Usage: peers_script_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

source_dir=$1
build_dir=$2
source "$source_dir/scripts/deps.sh"
for package in "${asyncscope_peer_packages[@]}"; do
  is_installed "$package" || { echo "SKIPPED: $package is not installed"; exit 77; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

fail() {
  echo "FAILED: $*"
  exit 1
}
status=0
"$source_dir/scripts/peers.sh" --quick --storm 500 --wrk-seconds 1 --build-dir "$build_dir" \
  --out "$out" >"$out/stdout" 2>&1 || status=$?
cat "$out/stdout"
[ "$status" -eq 0 ] || fail "peers.sh exited with $status"
results="$out/peers-results.md"
[ -f "$results" ] || fail "no $results"

# (a): every endpoint at 1, 2 and 50, a time and a thread count from each of the three servers.
row='^(sync-endpoint|async-endpoint|async-wrong) +(1|2|50)( +[0-9.]+ s +[0-9]+ thr){3} *$'
cells=$(grep -cE "$row" "$results" || true)
[ "$cells" -eq 9 ] || fail "expected 9 full rows in the matrix, found $cells"
# The lesson's pitfall, as the matrix shows it: 50 blocked sleeps on asyncscope's one loop thread.
grep -qE '^async-wrong +50 +[0-9.]+ s +1 thr' "$results" || fail "async-wrong x50 is not 1 thread"
# (b) and (c): a time at sleep 1, at sleep 0 and a requests/s for each server, none failed.
for server in nginx njs asyncscope go uvicorn; do
  grep -qE "^$server +[0-9.]+ s +[0-9.]+ +[0-9.]+ s +[0-9.]+ +[0-9]+ +[0-9.]+$" "$results" ||
    fail "no full row for $server"
done
grep -qE '^asyncscope vs njs: [0-9.]+x the time' "$results" || fail "no asyncscope vs njs line"
finding='ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|: runtime error: '
for log in "$out"/peers/asyncscope-*.log; do
  ! grep -qE "$finding" "$log" || fail "a sanitizer finding in $log"
done
echo "peers.sh: the matrix and the table of five servers, every cell filled"
