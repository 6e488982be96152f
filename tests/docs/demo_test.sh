#!/usr/bin/env bash
# README's demo command, run as a user runs it, with the build under test instead of a Release
# build of its own and with 1 and 2 requests at once (50 blocked sleeps are the lesson, not a
# test): both tables come out, every row as the lesson predicts, and neither server reported a
# sanitizer finding.
#
# Usage: demo_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

source_dir=$1
build_dir=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT

status=0
"$source_dir/scripts/demo.sh" --counts "1 2" --build-dir "$build_dir" >"$out" 2>&1 || status=$?
cat "$out"
fail() {
  echo "FAILED: $*"
  exit 1
}
[ "$status" -eq 0 ] || fail "demo.sh exited with $status"
grep -q '^The timer lesson: ' "$out" || fail "no timer table"
grep -q '^The database lesson: GET /P/tasks' "$out" || fail "no database table"
rows=$(grep -cE '^(sync-endpoint|async-endpoint|async-wrong|sync/tasks|async/tasks|async-wrong/tasks) +[12] .* yes ' "$out" || true)
[ "$rows" -eq 12 ] || fail "expected 12 rows as predicted, found $rows"
for log in "$source_dir/build/demo-server.log" "$source_dir/build/demo-db-server.log"; do
  if grep -qE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|: runtime error: ' "$log"; then
    fail "a sanitizer finding in $log"
  fi
done
echo "demo.sh: both tables, 12 rows as the lesson predicts"
