#!/usr/bin/env bash
# Types every command of the lesson (docs/lesson.md, docs/lesson.ko.md) as written, in order,
# against the real server, and fails if one of them fails. The two files must run the same
# commands (comments aside, `# slow` marks included), so the two lessons cannot drift apart and
# one run of the list tests both.
#
# Usage: lesson_commands.sh SOURCE_DIR SERVER_DIR CLIENT_DIR
#   SERVER_DIR and CLIENT_DIR hold the asyncscope-server and asyncscope-client under test; they
#   go first on PATH, as the lesson's "Before class" puts the Release build there.
#
# Which lines are commands: in a fenced block opened by ```sh, each line that starts with "$ ".
# - `$ asyncscope-server ARGS` is the teacher's first terminal: the server started before is
#   stopped with Ctrl-C (SIGINT), this one starts in the background, and the next command runs
#   once it listens. When ARGS set no --sleep, the test adds `--sleep 0.2`, so the lesson runs
#   in seconds; nothing else is changed.
# - A line ending in a `# slow` comment is left out (fifty blocked seconds, on purpose).
# - Every other line runs in bash (with pipefail) from SOURCE_DIR, within 60 s.
# The lesson's server uses the default port, 8000: if something else listens there, the test is
# skipped (exit 77), or fails when CI=true.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 SOURCE_DIR SERVER_DIR CLIENT_DIR" >&2
  exit 2
fi
source_dir=$1
export PATH="$2:$3:$PATH"
lessons=("$source_dir/docs/lesson.md" "$source_dir/docs/lesson.ko.md")
port=8000
command_timeout=60
work=$(mktemp -d)
server_pid=""

# In a sanitizer build (the asan and tsan presets) a finding may not change an exit status, so
# the output is searched for a report too.
has_sanitizer_report() {
  grep -qE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|: runtime error: ' "$1"
}

# Ctrl-C, as the teacher stops it. Fails unless the server exits by itself, with status 0,
# within 10 s: a sanitizer finding (a leak at exit, say) shows up here.
stop_server() {
  [ -n "$server_pid" ] || return 0
  local pid=$server_pid status=0
  server_pid=""
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -KILL "$pid" 2>/dev/null; then
    echo "FAILED: the server did not exit within 10 s of Ctrl-C"
    status=1
  fi
  wait "$pid" 2>/dev/null || status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAILED: the server stopped with status $status; the end of its output:"
    tail -n 30 "$server_log" | sed 's/^/   | /'
  elif has_sanitizer_report "$server_log"; then
    echo "FAILED: the server reported a sanitizer finding:"
    sed 's/^/   | /' "$server_log"
    status=1
  fi
  return "$status"
}
trap 'stop_server >/dev/null || true; rm -rf "$work"' EXIT

someone_listens() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# The commands of one lesson file, one per line, without the "$ ".
commands_in() {
  awk '/^```sh[[:space:]]*$/ { in_sh = 1; next }
       /^```/ { in_sh = 0; next }
       in_sh && /^\$ / { print substr($0, 3) }' "$1"
}

without_comment() {
  sed -E 's/[[:space:]]+#[^"]*$//'
}

# A command line as the two files must agree on it: without its comment, but marked if slow.
comparable() {
  sed -E 's/[[:space:]]+#[[:space:]]*slow.*$/ [slow]/; s/[[:space:]]+#[^"]*$//'
}

if someone_listens; then
  message="something already listens on 127.0.0.1:$port, the port the lesson uses"
  if [ "${CI:-}" = true ]; then
    echo "FAILED: $message" >&2
    exit 1
  fi
  echo "SKIPPED: $message"
  exit 77
fi

for lesson in "${lessons[@]}"; do
  commands_in "$lesson" >"$work/$(basename "$lesson").commands"
done
english="$work/lesson.md.commands"
korean="$work/lesson.ko.md.commands"
if ! diff <(comparable <"$english") <(comparable <"$korean") >"$work/drift"; then
  echo "FAILED: lesson.md and lesson.ko.md do not run the same commands (< English, > Korean):"
  cat "$work/drift"
  exit 1
fi
for lesson in "${lessons[@]}"; do
  list="$work/$(basename "$lesson").commands"
  if [ "$(wc -l <"$list")" -lt 10 ] || ! head -n 1 "$list" | grep -q '^asyncscope-server'; then
    echo "FAILED: $lesson: expected ten or more \"\$ \" commands in \`\`\`sh blocks, the first" \
      "one starting the server; found:"
    cat "$list"
    exit 1
  fi
done

start_server() {
  local line=$1
  stop_server || return 1
  if someone_listens; then
    echo "FAILED: port $port is still taken after stopping the previous server" >&2
    return 1
  fi
  local args=${line#asyncscope-server}
  args=$(without_comment <<<"$args")
  [[ " $args " == *" --sleep "* ]] || args="$args --sleep 0.2"
  server_log="$work/server.$((++servers)).log"
  # The lesson's own words, split as a shell splits them; exec, so that $! is the server itself
  # (the Ctrl-C above must reach it, not a shell around it).
  eval "exec asyncscope-server $args" >"$server_log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    grep -q "listening on http://" "$server_log" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAILED: the server did not start listening within 30 s; its output:"
  cat "$server_log"
  return 1
}

servers=0
ran=0
failed=0
echo "== the commands of lesson.md, which are those of lesson.ko.md too"
while IFS= read -r line; do
  if [[ "$line" =~ \#[[:space:]]*slow ]]; then
    echo "-- left out (slow): $line"
    continue
  fi
  echo "\$ $line"
  if [[ "$line" == asyncscope-server* ]]; then
    start_server "$line" || exit 1
    continue
  fi
  started=$(date +%s.%N)
  if (cd "$source_dir" && timeout "$command_timeout" bash -o pipefail -c "$line") \
    >"$work/out" 2>&1 </dev/null && ! has_sanitizer_report "$work/out"; then
    printf '   ok (%.1f s)\n' "$(echo "$(date +%s.%N) - $started" | bc -l)"
  else
    status=$?
    failed=$((failed + 1))
    echo "   FAILED (status $status$([ $status -eq 124 ] && echo ", over ${command_timeout} s")); its output:"
    sed 's/^/   | /' "$work/out"
    echo "   the server's log, last lines:"
    tail -n 20 "$server_log" | sed 's/^/   | /'
  fi
  ran=$((ran + 1))
done <"$english"
stop_server || failed=$((failed + 1))

echo "$ran commands run, $failed failed"
[ "$failed" -eq 0 ]
