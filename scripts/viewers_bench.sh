#!/usr/bin/env bash
# A benchmark, not a test: what dashboard viewers that stopped reading cost the server.
# Opens STALLED /events streams on the dashboard's port that never read (each with a 4 KiB
# receive window), then fires REQUESTS concurrent /async-endpoint?sleep=1 at the main port,
# and meanwhile opens a fresh viewer every half second and times its first event. Prints the
# server's memory (RSS now and peak) before, during and after, the fresh viewers' first-event
# times, and what the server logged about its viewers. Loopback only; bounded in time.
#
# Usage: scripts/viewers_bench.sh [STALLED=1000] [REQUESTS=10000] [MAX_VIEWERS=STALLED+10]
#   MAX_VIEWERS 100 (the default of --max-viewers) shows the limit at work instead.
# ASYNCSCOPE_BUILD_DIR=build/debug uses that build instead of building Release.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

stalled=${1:-1000}
requests=${2:-10000}
max_viewers=${3:-$((stalled + 10))}
case "$stalled$requests$max_viewers" in *[!0-9]*)
  echo "Usage: scripts/viewers_bench.sh [STALLED=1000] [REQUESTS=10000] [MAX_VIEWERS]" >&2; exit 2 ;;
esac

install_dependencies
build_dir=${ASYNCSCOPE_BUILD_DIR:-$(build_asyncscope Release)}
ulimit -n "$(ulimit -Hn)"
log=$(mktemp)  # the server's output; ASYNCSCOPE_BENCH_LOG=FILE keeps a copy
trap 'kill "${server_pid:-}" 2>/dev/null; [ -z "${ASYNCSCOPE_BENCH_LOG:-}" ] || cp "$log" "$ASYNCSCOPE_BENCH_LOG"; rm -f "$log"' EXIT
start_server "$build_dir/server/asyncscope-server" "$log" --log-level warn \
  --max-viewers "$max_viewers"
echo "asyncscope viewers bench: $stalled stalled viewers, $requests requests, --max-viewers $max_viewers"
echo "machine: $(nproc) cores; server on 127.0.0.1:$server_port, dashboard on :$dashboard_port"

python3 - "$server_pid" "$server_port" "$dashboard_port" "$stalled" "$requests" \
  "$build_dir/client/asyncscope-client" <<'PY'
import asyncio, json, socket, subprocess, sys, time

pid, port, dashboard, stalled_count, requests = map(int, sys.argv[1:6])
client = sys.argv[6]
HOST = "127.0.0.1"  # loopback only
GET_EVENTS = b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

def memory_mb():
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return {k: round(int(fields[k].split()[0]) / 1024, 1) for k in ("VmRSS", "VmHWM")}

async def stalled_viewer():
    """Asks for the stream and never reads it: a page in a frozen or hidden tab."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setblocking(False)
    await asyncio.get_running_loop().sock_connect(s, (HOST, dashboard))
    await asyncio.get_running_loop().sock_sendall(s, GET_EVENTS)
    return s

async def first_event_after():
    """Seconds until a fresh viewer hears its hello, or what it got instead."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(HOST, dashboard)
    writer.write(GET_EVENTS)
    seen = b""
    try:
        while b"event: hello" not in seen:
            chunk = await asyncio.wait_for(reader.read(65536), 5)
            if not chunk:
                return "closed: " + seen.split(b"\r\n", 1)[0].decode(errors="replace")
            seen += chunk
        return round(time.monotonic() - started, 4)
    except asyncio.TimeoutError:
        return "no event within 5 s"
    finally:
        writer.close()

async def main():
    print(f"memory at start:        {memory_mb()}")
    sockets = []
    for wave in range(0, stalled_count, 200):
        sockets += await asyncio.gather(*(stalled_viewer() for _ in range(wave, min(wave + 200, stalled_count))))
    await asyncio.sleep(1.5)
    print(f"{len(sockets)} stalled viewers:    {memory_mb()}")
    burst = await asyncio.create_subprocess_exec(
        client, "-e", "async-endpoint", "-c", str(requests), "--sleep", "1", "--port", str(port),
        "--json", "--timeout", "60", stdout=subprocess.PIPE)
    probes, peak = [], memory_mb()
    while burst.returncode is None:
        probes.append(await first_event_after())
        peak = max(peak, memory_mb(), key=lambda m: m["VmRSS"])
        try:
            await asyncio.wait_for(burst.wait(), 0.5)
        except asyncio.TimeoutError:
            pass
    summary = json.loads((await burst.stdout.read()) or b"{}")
    print(f"during the burst (max): {peak}")
    await asyncio.sleep(1)
    probes.append(await first_event_after())
    print(f"after the burst:        {memory_mb()}")
    times = [p for p in probes if isinstance(p, float)]
    print(f"requests:               {summary.get('count')}, ok {summary.get('ok')}, "
          f"failed {summary.get('failed')}, total {round(summary.get('total_time', 0), 2)} s")
    print(f"fresh viewers:          {len(probes)}; first event after max {max(times, default=None)} s, "
          f"all {probes}")
    for s in sockets:
        s.close()

asyncio.run(main())
PY
echo "what the server logged about its viewers:"
for what in "KiB unsent): it stopped reading" "making room for a new viewer" \
  "one write waited more than"; do
  printf '  %6d x ...%s\n' "$(grep -c -- "$what" "$log" || true)" "$what"
done
