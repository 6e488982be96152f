#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the whole ctest suite under
# AddressSanitizer + UndefinedBehaviorSanitizer (a Debug build: assertions on), again under
# ThreadSanitizer, and then each fuzz target for a short smoke run. CI runs this (.ci/run).
#
# Usage: scripts/test.sh [--quick | --stages "asan tsan fuzz"] [ctest arguments...]
#   --quick             only the suite in a plain Debug build (a minute or two once built)
#   --stages "..."      only these stages, in this order (debug, asan, tsan, fuzz); the same as
#                       ASYNCSCOPE_TEST_STAGES
#   ctest arguments     go to every ctest run, e.g. -R Routes
# Environment:
#   ASYNCSCOPE_TEST_STAGES   stages to run (default "asan tsan fuzz")
#   ASYNCSCOPE_FUZZ_SECONDS  how long each fuzz target runs in the fuzz stage (default 20)
# Any sanitizer report fails the suite: the tests' own make ctest fail, and one from a server or
# client that a test started fails that test (tests/integration/processes.cpp looks for them).
# The plain Debug stage is not in the default: the asan stage runs the same tests in a Debug
# build, and CI's time goes further on a third sanitizer build than on a second plain one.
# The tests labelled `walkthrough` (the browser, the demo, the lesson's commands, the peers and
# peers.sh: a third of a stage's time) run in the first suite stage only: they check pages,
# scripts and docs, and the server code they drive is what the other tests run under every
# sanitizer.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

stages=${ASYNCSCOPE_TEST_STAGES:-asan tsan fuzz}
case "${1:-}" in
  --quick) stages=debug; shift ;;
  --stages) stages=$2; shift 2 ;;
esac

# Runs the ctest suite in DIR; a sanitizer build stops each process at its first finding.
run_suite() {
  local dir=$1
  shift
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir "$dir" --output-on-failure --timeout 300 "$@"
}

# Everything the chosen stages need, in one apt-get run.
if [[ " $stages " == *" fuzz "* ]]; then
  install_dependencies "${asyncscope_peer_packages[@]}" "${asyncscope_fuzz_packages[@]}"
else
  install_dependencies "${asyncscope_peer_packages[@]}"
fi
install_browser_test_dependencies

# While one stage's tests run, the next stage's build runs beside them, in its own session: with
# Linux's autogroup scheduling (Debian's default) that gives it about half the CPU while the
# tests want it all, and all of what they leave while they wait on sleeps and sockets; where
# autogroup is off, `chrt --idle` gives it only what they leave. The next stage then builds
# again, which finishes at once, or shows the compiler's error if the build beside failed.
# It starts after this stage's build, not with it: sharing the CPU with that build only made
# this stage's tests start later (docs/hardening.md).
next_build_pid=
start_next_build() {
  case "${1:-}" in
    asan | tsan | fuzz) ;;
    *) return 0 ;;
  esac
  setsid --wait chrt --idle 0 bash -c 'source "$0"; build_preset "$1"' \
    "$asyncscope_root/scripts/deps.sh" "$1" >/dev/null 2>&1 &
  next_build_pid=$!
}
wait_for_next_build() {
  [ -n "$next_build_pid" ] && wait "$next_build_pid" || true
  next_build_pid=
}
trap '[ -n "$next_build_pid" ] && kill -- -"$next_build_pid" 2>/dev/null; true' EXIT

read -r -a stage_list <<<"$stages"
skip_walkthroughs=()
for i in "${!stage_list[@]}"; do
  stage=${stage_list[$i]}
  stage_start=$SECONDS
  wait_for_next_build
  case "$stage" in
    debug)
      echo "asyncscope: building (Debug)..." >&2
      build_dir=$(build_asyncscope Debug)
      run_suite "$build_dir" "${skip_walkthroughs[@]}" "$@"
      skip_walkthroughs=(-LE walkthrough)
      ;;
    asan | tsan)
      echo "asyncscope: building ($stage preset)..." >&2
      build_dir=$(build_preset "$stage")
      start_next_build "${stage_list[$((i + 1))]:-}"
      run_suite "$build_dir" "${skip_walkthroughs[@]}" "$@"
      skip_walkthroughs=(-LE walkthrough)
      ;;
    fuzz)
      "$asyncscope_root/scripts/fuzz.sh" "${ASYNCSCOPE_FUZZ_SECONDS:-20}"
      ;;
    *)
      echo "test.sh: unknown stage '$stage' (debug, asan, tsan, fuzz)" >&2
      exit 2
      ;;
  esac
  echo "asyncscope: stage $stage passed in $((SECONDS - stage_start)) s" >&2
done
