#!/usr/bin/env bash
# Installs what is missing, builds (Debug, so assertions stay on), and runs every test.
# Usage: scripts/test.sh [ctest arguments...]
set -euo pipefail
source "$(dirname "$0")/deps.sh"

install_dependencies
install_browser_test_dependencies
echo "asyncscope: building (Debug)..." >&2
build_dir=$(build_asyncscope Debug)
cd "$build_dir"
ctest --output-on-failure --timeout 300 "$@"
