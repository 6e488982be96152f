#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (the `fuzz` preset: ASan, UBSan and coverage in all
# the code they reach) and runs each one for SECONDS, the targets side by side, one per core.
#
# Usage: scripts/fuzz.sh [SECONDS=600]
#
# Each target starts from its seeds in tests/fuzz/corpus/<target>/ and keeps what it finds in
# build/fuzz/corpus/<target>/ for the next run. A crash or a broken invariant stops that target,
# leaves the input in build/fuzz/artifacts/, and makes the script fail; replay it with
#   build/fuzz/tests/fuzz/fuzz_<target> build/fuzz/artifacts/<file>
# At the end: per target, the executions, the coverage (cov: edges, ft: features) and the corpus.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

seconds=${1:-600}
case "$seconds" in '' | *[!0-9]*)
  echo "Usage: scripts/fuzz.sh [SECONDS=600]" >&2; exit 2 ;;
esac
targets=(request_path client_response)

install_dependencies "${asyncscope_fuzz_packages[@]}"
echo "asyncscope: building the fuzz targets (clang)..." >&2
build_dir=$(build_preset fuzz)
mkdir -p "$build_dir/artifacts"

echo "asyncscope: fuzzing ${targets[*]} for $seconds s each..." >&2
pids=()
for target in "${targets[@]}"; do
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus"
  "$build_dir/tests/fuzz/fuzz_$target" "$corpus" "$asyncscope_root/tests/fuzz/corpus/$target" \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build_dir/artifacts/$target-" >"$build_dir/$target.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  log="$build_dir/$target.log"
  if wait "${pids[$i]}"; then
    # libFuzzer's last status line: "#1234567 DONE cov: 812 ft: 2345 corp: 321/40Kb ...".
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    printf '%-16s %s executions in %s s (%s exec/s), cov %s, ft %s, corpus %s inputs\n' \
      "$target" "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" "$seconds" \
      "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
      "$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$done_line")" \
      "$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$done_line")" \
      "$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$done_line")"
  else
    failed=$((failed + 1))
    echo "$target: FAILED (log: $log)" >&2
    tail -n 60 "$log" >&2
  fi
done
echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
[ "$failed" = 0 ]
