#!/usr/bin/env bash
# Runs nginx with one worker as the njs peer (async_endpoint.js beside this file): writes its
# config into a folder of its own, prints "listening on http://127.0.0.1:PORT" as the other
# servers do, then runs nginx in the foreground until it is sent SIGTERM or SIGQUIT.
# Needs Debian's nginx-light and libnginx-mod-http-js.
#
# Usage: peers/njs/nginx.sh [--port N] [--dir DIR]
#   --port N   the port on 127.0.0.1 (default 0: a free one)
#   --dir DIR  where the config, pid file and error log go (default: a new temporary folder)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
port=0
dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "nginx.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$port" in *[!0-9]* | '') echo "nginx.sh: --port takes a number" >&2; exit 2 ;; esac
module=/usr/lib/nginx/modules/ngx_http_js_module.so
[ -f "$module" ] || { echo "nginx.sh: $module is missing (apt-get install libnginx-mod-http-js)" >&2; exit 1; }
[ -n "$dir" ] || dir=$(mktemp -d)
mkdir -p "$dir"
if [ "$port" = 0 ]; then # nginx cannot say which port it was given, so it is chosen here
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
load_module $module;
events { worker_connections $(($(ulimit -n) - 100)); }
http {
  access_log off;
  keepalive_requests 1000000;
  js_import lesson from $here/async_endpoint.js;
  server {
    listen 127.0.0.1:$port backlog=4096;
    default_type application/json;
    location = /healthz { return 200 '{"status": "ok"}'; }
    location = /async-endpoint { js_content lesson.asyncEndpoint; }
  }
}
CONF
echo "listening on http://127.0.0.1:$port"
exec nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
