#!/usr/bin/env bash
# A throwaway MariaDB for the database lesson: its data in a folder under build/, listening on
# 127.0.0.1 only, on a free port, with a `demo` database and a `demo` user. Prints the URL to give
# asyncscope-server's --db flag, and nothing else on stdout:
#
#   build/release/server/asyncscope-server --db "$(scripts/db.sh)"
#
# Usage: scripts/db.sh [start | stop | url] [--dir DIR]
#   start (the default)  start it, or find it already running; print the URL
#   stop                 stop it (the data stays in DIR for the next start)
#   url                  print the URL of the running database; exit 1 when it is not running
#   --dir DIR            where it lives (default build/mariadb; or ASYNCSCOPE_DB_DIR)
# Starting again reuses DIR's port, so a server given the URL finds the database again.
set -euo pipefail

asyncscope_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
action=start
dir=${ASYNCSCOPE_DB_DIR:-$asyncscope_root/build/mariadb}
while [ $# -gt 0 ]; do
  case "$1" in
    start | stop | url) action=$1; shift ;;
    --dir) dir=$2; shift 2 ;;
    -h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "db.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data
socket=$dir/mariadbd.sock
pid_file=$dir/mariadbd.pid
log=$dir/mariadbd.log

# The demo account. A throwaway database on 127.0.0.1, so a password anyone can read is fine.
user=demo
password=demo
database=demo
max_connections=500  # the server's 40 pool threads + 64 async connections, and room for a bench

say() { echo "db.sh: $*" >&2; }

url_of() { echo "mariadb://$user:$password@127.0.0.1:$1/$database"; }

running_pid() {
  local pid
  pid=$(cat "$pid_file" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Whether the database answers on its socket, to this system user.
answers() {
  mariadb-admin --no-defaults --socket="$socket" -u "$(id -un)" --connect-timeout=2 ping \
    >/dev/null 2>&1
}

# A port nobody listens on now: the one this folder used before if it is still free, so a
# server given the old URL finds the database again; else whichever the kernel picks.
choose_port() {
  local saved
  saved=$(cat "$dir/port" 2>/dev/null || true)
  python3 - "$saved" <<'PY'
import socket, sys
def free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return None
        return s.getsockname()[1]
saved = int(sys.argv[1]) if sys.argv[1].isdigit() else 0
print((saved and free(saved)) or free(0))
PY
}

# The system tables, once per folder.
initialize() {
  say "creating a new database in $data (mariadb-install-db)"
  local as_user=()
  [ "$(id -u)" -eq 0 ] && as_user=(--user=root)
  rm -rf "$data" "$dir/demo-account"
  if ! mariadb-install-db --no-defaults "${as_user[@]}" --datadir="$data" --skip-test-db \
    --auth-root-authentication-method=socket --auth-root-socket-user="$(id -un)" \
    --skip-name-resolve >"$dir/install.log" 2>&1; then
    cat "$dir/install.log" >&2
    say "mariadb-install-db failed (log: $dir/install.log)"
    rm -rf "$data"
    exit 1
  fi
}

# The demo database and its user, once per folder: as this system user, whom the socket
# authenticates as a MariaDB administrator.
create_demo_account() {
  [ -f "$dir/demo-account" ] && return 0
  mariadb --no-defaults --socket="$socket" -u "$(id -un)" <<SQL
CREATE DATABASE IF NOT EXISTS $database CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON $database.* TO '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON $database.* TO '$user'@'localhost';
SQL
  touch "$dir/demo-account"
  say "created the $database database and its $user user"
}

start() {
  local pid port
  if pid=$(running_pid); then
    port=$(cat "$dir/port")
    say "already running (pid $pid, port $port)"
    url_of "$port"
    return 0
  fi
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    source "$asyncscope_root/scripts/deps.sh"
    install_dependencies mariadb-server
  fi
  export PATH=$PATH:/usr/sbin
  [ -d "$data/mysql" ] || initialize
  port=$(choose_port)
  local saved
  saved=$(cat "$dir/port" 2>/dev/null || true)
  if [ -n "$saved" ] && [ "$saved" != "$port" ]; then
    say "port $saved is taken now; using $port (the URL changes)"
  fi
  echo "$port" >"$dir/port"
  local as_user=()
  [ "$(id -u)" -eq 0 ] && as_user=(--user=root)  # mariadbd refuses to run as root otherwise
  # setsid and no inherited stdout: the database outlives this script, and whoever reads this
  # script's output (a pipe, ctest) is not kept waiting for it.
  setsid mariadbd --no-defaults "${as_user[@]}" --datadir="$data" --socket="$socket" \
    --pid-file="$pid_file" --log-error="$log" --bind-address=127.0.0.1 --port="$port" \
    --skip-name-resolve --max-connections="$max_connections" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=64M </dev/null >>"$dir/mariadbd.out" 2>&1 &
  local started=$!
  for _ in $(seq 600); do
    if answers; then
      create_demo_account
      say "MariaDB is up: pid $(running_pid || echo "$started"), 127.0.0.1:$port, data in $data"
      url_of "$port" >"$dir/url"
      url_of "$port"
      return 0
    fi
    if ! kill -0 "$started" 2>/dev/null; then
      tail -n 20 "$log" >&2 || true
      say "mariadbd exited during start (log: $log)"
      exit 1
    fi
    sleep 0.1
  done
  say "mariadbd did not answer within 60 s (log: $log)"
  exit 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    say "not running"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "stopped (pid $pid)"
      return 0
    fi
    sleep 0.1
  done
  say "mariadbd (pid $pid) did not stop within 60 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

case "$action" in
  start) start ;;
  stop) stop ;;
  url)
    if running_pid >/dev/null; then
      url_of "$(cat "$dir/port")"
    else
      say "not running (start it with scripts/db.sh)"
      exit 1
    fi
    ;;
esac
