#!/usr/bin/env bash
# Installs what asyncscope needs to build and run, from Debian 12's packages.
# Sourced by demo.sh, test.sh, bench.sh and fuzz.sh; does nothing when everything is already there.
set -euo pipefail

asyncscope_packages=(
  build-essential cmake
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libspdlog-dev libfmt-dev
  libgtest-dev googletest
  jq bc procps time
  tmux # a real 80x24 terminal for the timeline's test
  python3-prometheus-client
  # the database lesson: MariaDB, its C client (Connector/C), and how CMake finds it
  mariadb-server libmariadb-dev pkg-config
)

# The same lesson in Go, in FastAPI and in nginx's JavaScript (peers/; their test runs when these
# are installed), FastAPI on uvicorn with the loop and parser that `uvicorn[standard]` would bring.
# Installing Debian's nginx also starts its own service on port 80 (unless that port is taken
# or the machine's policy-rc.d forbids it); asyncscope never uses it: `systemctl disable --now
# nginx` (or `service nginx stop` without systemd) stops it.
asyncscope_peer_runtimes=(golang-go python3-fastapi python3-uvicorn python3-uvloop
  python3-httptools nginx libnginx-mod-http-js)
# scripts/peers.sh (and its test, peers_script): the runtimes, nginx's echo module, and wrk.
asyncscope_peer_packages=("${asyncscope_peer_runtimes[@]}" libnginx-mod-http-echo wrk)

# The fuzz targets: clang, and its runtimes (libFuzzer, ASan, UBSan) for clang 14.
asyncscope_fuzz_packages=(clang libclang-rt-14-dev)

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Installs the packages above that are missing, and any given as arguments.
install_dependencies() {
  local missing=()
  for pkg in "${asyncscope_packages[@]}" "$@"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
  apt_install "${missing[@]}"
}

# Only the browser test needs these: Debian's chromium and the page's font, node and npm (a
# machine that already has node from elsewhere, with its own npm, keeps it), and playwright-core
# from the npm registry, pinned in tests/browser/package-lock.json. demo.sh does not install them.
install_browser_test_dependencies() {
  local missing=()
  for pkg in chromium fonts-dejavu-core fonts-nanum; do  # Nanum: the Korean page (?lang=ko)
    is_installed "$pkg" || missing+=("$pkg")
  done
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  apt_install "${missing[@]}"
  local browser_tests="$asyncscope_root/tests/browser"
  local installed="$browser_tests/node_modules/.package-lock.json"
  if [ ! -f "$installed" ] || [ "$browser_tests/package-lock.json" -nt "$installed" ]; then
    echo "asyncscope: installing playwright-core for the browser test (npm ci)" >&2
    (cd "$browser_tests" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

# apt-get install, as root or through sudo, of the packages named (none: nothing to do).
apt_install() {
  local missing=("$@")
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "asyncscope: need root or sudo to install: ${missing[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  echo "asyncscope: installing ${missing[*]}" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# Configures and builds into build/<type> (Release by default) and prints that folder: every
# target, or only the targets named after the type (demo.sh needs only the two programs).
# The compiler's output goes to build/<type>.log, and to the screen when something fails.
build_asyncscope() {
  local type=${1:-Release}
  local dir="$asyncscope_root/build/${type,,}"
  local log="$dir.log"
  local targets=()
  [ $# -gt 1 ] && targets=(--target "${@:2}")
  mkdir -p "$dir"
  if ! { cmake -S "$asyncscope_root" -B "$dir" -DCMAKE_BUILD_TYPE="$type" &&
    cmake --build "$dir" -j"$(nproc)" "${targets[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "asyncscope: the build failed (log: $log)" >&2
    return 1
  fi
  echo "$dir"
}

# Configures and builds one of CMakePresets.json's presets (asan, tsan, fuzz) into build/<preset>
# and prints that folder; the compiler's output goes to build/<preset>.log, as above.
build_preset() {
  local preset=$1
  local dir="$asyncscope_root/build/$preset"
  local log="$dir.log"
  mkdir -p "$dir"
  if ! (cd "$asyncscope_root" && cmake --preset "$preset" &&
    cmake --build --preset "$preset" -j"$(nproc)") >"$log" 2>&1; then
    cat "$log" >&2
    echo "asyncscope: the $preset build failed (log: $log)" >&2
    return 1
  fi
  echo "$dir"
}

# Starts asyncscope-server in the background with the given flags (plus --port 0), its output
# going to LOG, and waits for its `listening on` and `dashboard on` lines. Sets server_pid,
# server_port and dashboard_port.
start_server() {
  local bin=$1 log=$2
  shift 2
  # The log exists before the loop below reads it: the server's own shell may not have opened
  # it yet, and a sed that cannot read it would end a `set -e` script (CI saw that happen).
  : >"$log"
  "$bin" --port 0 "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 200); do
    server_port=$(sed -n 's|^listening on http://.*:\([0-9]*\)$|\1|p' "$log")
    dashboard_port=$(sed -n 's|^dashboard on http://.*:\([0-9]*\)/$|\1|p' "$log")
    [ -n "$server_port" ] && [ -n "$dashboard_port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "asyncscope: the server did not start:" >&2
  cat "$log" >&2
  return 1
}

# Stops the server start_server started (SIGTERM: it finishes what is in flight), if any.
stop_server() {
  kill "${server_pid:-}" 2>/dev/null || true
  wait "${server_pid:-}" 2>/dev/null || true
  server_pid=
}

asyncscope_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
