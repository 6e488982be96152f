#!/usr/bin/env bash
# Runs nginx with one worker, in the foreground, as one of two peers of scripts/peers.sh:
#   the lesson (default)  /async-endpoint in nginx's JavaScript (async_endpoint.js beside this
#                         file): nginx doing the work asyncscope does for an answer.
#   --config-answers      /fixed answers a constant body and /echo_sleep?sleep=S waits S
#                         seconds on a timer, both from the config alone (the echo module):
#                         nginx's ceiling, no work per request.
# Both answer /healthz. Prints "listening on http://127.0.0.1:PORT" once nginx is up, as the
# other servers do, and stops nginx when it is stopped itself: SIGTERM, SIGHUP, or Ctrl-C in
# the terminal that started it. Everything nginx writes stays in --dir.
#
# Usage: peers/nginx/nginx.sh --dir DIR [--port N] [--config-answers]
#   --dir DIR         where nginx's config, pid file, error log and temporary files go
#   --port N          the port on 127.0.0.1 (default 0: a free one)
#   --config-answers  the config's answers instead of the lesson's
# Needs Debian's nginx, with libnginx-mod-http-js (the lesson) or libnginx-mod-http-echo.
set -euo pipefail

die() { echo "nginx.sh: $*" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
port=0
dir=
config_answers=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a value"; port=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || die "--dir needs a value"; dir=$2; shift 2 ;;
    --config-answers) config_answers=1; shift ;;
    -h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$dir" ] || die "--dir DIR is required: the folder for nginx's config and logs"
case "$port" in *[!0-9]* | '') die "--port takes a number from 0 to 65535" ;; esac
[ "${#port}" -le 5 ] && [ "$port" -le 65535 ] || die "--port takes a number from 0 to 65535"

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx) # /usr/sbin is not on a user's PATH
missing() { echo "nginx.sh: $1 is missing (apt-get install $2)" >&2; exit 1; }
[ -x "$nginx_bin" ] || missing nginx nginx
if [ "$config_answers" = 1 ]; then
  module=/usr/lib/nginx/modules/ngx_http_echo_module.so package=libnginx-mod-http-echo
else
  module=/usr/lib/nginx/modules/ngx_http_js_module.so package=libnginx-mod-http-js
fi
[ -f "$module" ] || missing "$module" "$package"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd) # nginx reads a relative path as under its prefix, which is $dir
if [ "$port" = 0 ]; then # nginx cannot say which port it was given, so one is chosen here
  port=$(/usr/bin/python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
files=$(ulimit -n)
case "$files" in *[!0-9]*) files=65536 ;; esac # "unlimited"
connections=$((files > 1124 ? files - 100 : 1024)) # a few files are nginx's own

if [ "$config_answers" = 1 ]; then
  # The size of the lesson's answer, so /fixed sends what /async-endpoint would.
  body='{"message": "Async endpoint completed!", "endpoint": "/async-endpoint", "request_id": 1,'
  body+=' "pid": 1, "thread_id": 1, "thread_name": "nginx", "sleep": 0.0,'
  body+=' "started_at": 1796191287.543975, "finished_at": 1796191287.544095, "duration": 0.00012}'
  locations="location = /fixed { return 200 '$body'; }
    location = /echo_sleep { echo_sleep \$arg_sleep; echo '{\"sleep\": \"\$arg_sleep\"}'; }"
else
  locations="js_import lesson from \"$here/async_endpoint.js\";
    location = /async-endpoint { js_content lesson.asyncEndpoint; }"
fi
cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
worker_rlimit_nofile $files;
pid "$dir/nginx.pid";
error_log "$dir/error.log" warn;
load_module "$module";
events { worker_connections $connections; }
http {
  access_log off;
  client_body_temp_path "$dir/body"; # not Debian's /var/lib/nginx, which is its own nginx's
  proxy_temp_path "$dir/proxy";
  fastcgi_temp_path "$dir/fastcgi";
  uwsgi_temp_path "$dir/uwsgi";
  scgi_temp_path "$dir/scgi";
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port backlog=4096;
    default_type application/json;
    location = /healthz { return 200 '{"status": "ok"}'; }
    $locations
  }
}
CONF

rm -f "$dir/nginx.pid"
"$nginx_bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" &
nginx_pid=$!
# However this script ends, nginx ends with it. (A shell running it in the background ignores
# SIGINT and SIGQUIT for it, so those cannot be trapped there; SIGTERM always can.)
trap 'kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid"; true' EXIT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 130' INT
# nginx writes its pid file once its socket is listening; it exits if the config is wrong.
until [ -s "$dir/nginx.pid" ]; do
  kill -0 "$nginx_pid" 2>/dev/null || { wait "$nginx_pid" || exit $?; exit 1; }
  sleep 0.05
done
echo "listening on http://127.0.0.1:$port"
wait "$nginx_pid" # until nginx exits, or a signal above ends this script
