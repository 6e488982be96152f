#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole ctest suite in a Debug build
# (assertions on), again under AddressSanitizer + UndefinedBehaviorSanitizer, again under
# ThreadSanitizer, and then each fuzz target for a short smoke run. CI runs this (.ci/run).
#
# Usage: scripts/test.sh [--quick | --stages "debug asan tsan fuzz"] [ctest arguments...]
#   --quick             only the Debug suite (a minute or two once built)
#   --stages "..."      only these stages, in this order; the same as ASYNCSCOPE_TEST_STAGES
#   ctest arguments     go to every ctest run, e.g. -R Routes
# Environment:
#   ASYNCSCOPE_TEST_STAGES   stages to run (default "debug asan tsan fuzz")
#   ASYNCSCOPE_FUZZ_SECONDS  how long each fuzz target runs in the fuzz stage (default 20)
# Any sanitizer report, from a test or from a server or client a test started, fails the stage:
# reports are written to build/<preset>/sanitizer-reports/ and printed at the end.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

stages=${ASYNCSCOPE_TEST_STAGES:-debug asan tsan fuzz}
case "${1:-}" in
  --quick) stages=debug; shift ;;
  --stages) stages=$2; shift 2 ;;
esac

# Runs the ctest suite in DIR with sanitizer options set; fails if any process reported.
run_suite() {
  local dir=$1
  shift
  local reports="$dir/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  local status=0
  ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1" \
    UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1" \
    TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=1:second_deadlock_stack=1" \
    ctest --test-dir "$dir" --output-on-failure --timeout 300 "$@" || status=$?
  if [ -n "$(ls -A "$reports")" ]; then
    echo "asyncscope: sanitizer reports in $reports:" >&2
    cat "$reports"/* >&2
    return 1
  fi
  return "$status"
}

for stage in $stages; do
  case "$stage" in
    debug)
      install_dependencies
      echo "asyncscope: building (Debug)..." >&2
      build_dir=$(build_asyncscope Debug)
      run_suite "$build_dir" "$@"
      ;;
    asan | tsan)
      install_dependencies
      echo "asyncscope: building ($stage preset)..." >&2
      build_dir=$(build_preset "$stage")
      run_suite "$build_dir" "$@"
      ;;
    fuzz)
      "$asyncscope_root/scripts/fuzz.sh" "${ASYNCSCOPE_FUZZ_SECONDS:-20}"
      ;;
    *)
      echo "test.sh: unknown stage '$stage' (debug, asan, tsan, fuzz)" >&2
      exit 2
      ;;
  esac
done
