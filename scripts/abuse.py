#!/usr/bin/env python3
"""The misbehaving clients of scripts/soak.sh, in plain asyncio (no pip packages).

Usage:
  abuse.py slowloris --port P [--connections 500] [--duration 30] [--interval 1]
                     [--read-timeout 5]
      Keeps CONNECTIONS connections open, each sending a request header one line per INTERVAL
      and never finishing it; when the server cuts one, the attacker reconnects (until DURATION
      is over). Reports how long the server let each connection live.
  abuse.py misbehave --port P --dashboard-port D [--duration 60] [--concurrency 4] [--pause 0.05]
      Clients that hang up at every awkward moment (before sending, mid-request, right after
      the request, mid-response, with a reset) and requests that are garbage, oversized or
      wrong; reports each kind's outcomes next to what the server should answer.
  abuse.py burst --port P [--attempts 15000] [--hold 5] [--connect-timeout 10] [--wave 200]
      Opens ATTEMPTS connections as fast as it can (at most WAVE connecting at once, each
      sending its request as soon as it is connected), each asking for
      /async-endpoint?sleep=HOLD, and counts what each one got: 200, 503, a refused connect, a
      reset, nothing.
  abuse.py metrics --port P
      The server's /metrics, summed up (requests by status, connections open, turned away).

Each command prints one JSON object on stdout. Traffic goes to 127.0.0.1 only.
"""

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import time
import urllib.request
from collections import Counter

HOST = "127.0.0.1"  # loopback only, whatever the caller asks


def raise_open_file_limit():
    """One socket per connection: take the hard limit as the soft one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def spread(values):
    """min / median / p99 / max of a list of seconds, rounded to milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {name: round(v, 3) for name, v in
            [("min", ordered[0]), ("median", statistics.median(ordered)), ("p99", p99),
             ("max", ordered[-1])]}


def failure_name(error):
    """A short name for why a connection failed: refused, reset, timeout, or the OS's name."""
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    if isinstance(error, ConnectionResetError):
        return "reset"
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(error, BrokenPipeError):
        return "broken pipe"
    if isinstance(error, OSError) and error.errno is not None:
        import errno
        return errno.errorcode.get(error.errno, str(error.errno))
    return type(error).__name__


def status_of(answer):
    """'HTTP 200' from the first line of an answer, or 'closed without answer'."""
    if not answer:
        return "closed without answer"
    first = answer.split(b"\r\n", 1)[0].split()
    if len(first) >= 2 and first[0].startswith(b"HTTP/"):
        return "HTTP " + first[1].decode(errors="replace")
    return "not HTTP"


async def read_all(reader, timeout):
    """Everything the server sends until it closes; the outcome is its status, or a failure when
    it sent nothing. An answer followed by a reset still counts as the answer (a client reading
    as it goes would have seen it)."""
    answer = b""
    try:
        async with asyncio.timeout(timeout):
            while chunk := await reader.read(65536):
                answer += chunk
    except (OSError, asyncio.TimeoutError) as e:
        if not answer:
            return failure_name(e), b""
    return status_of(answer), answer


def close(writer, reset=False):
    """Closes our end; with reset=True, with an RST (SO_LINGER 0) instead of a FIN."""
    if reset:
        import socket
        import struct
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


# ---------------------------------------------------------------------------------- slowloris

async def slowloris(args):
    raise_open_file_limit()
    started = time.monotonic()
    deadline = started + args.duration
    give_up = 3 * args.read_timeout + 5  # an attacker the server never cuts is reported as such
    lived, outcomes, connect_failed = [], Counter(), Counter()
    lines_sent = 0

    async def attacker(number):
        nonlocal lines_sent
        await asyncio.sleep(number * 0.001)  # 500 connects within half a second
        # A new connection only while there is time for the server to cut it.
        while time.monotonic() + args.read_timeout + 1 < deadline:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, args.port), 10)
            except (OSError, asyncio.TimeoutError) as e:
                connect_failed[failure_name(e)] += 1
                await asyncio.sleep(args.interval)
                continue
            opened = time.monotonic()
            server_closed = asyncio.ensure_future(reader.read())
            writer.write(b"GET /async-endpoint?sleep=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            lines = 0
            while True:
                done, _ = await asyncio.wait({server_closed}, timeout=args.interval)
                if done:
                    try:
                        outcome = "cut, " + status_of(server_closed.result()).replace(
                            "closed without answer", "no answer")
                    except OSError as e:
                        outcome = "cut, " + failure_name(e)
                    lived.append(time.monotonic() - opened)
                    break
                if time.monotonic() - opened > give_up:
                    outcome = "never cut (we gave up)"
                    server_closed.cancel()
                    break
                lines += 1
                try:
                    writer.write(f"X-Slow-{lines}: {'a' * 20}\r\n".encode())
                    await writer.drain()
                    lines_sent += 1
                except OSError:
                    pass  # the server is closing it; server_closed will tell
            outcomes[outcome] += 1
            close(writer)

    await asyncio.gather(*(attacker(i) for i in range(args.connections)))
    print(json.dumps({
        "attackers": args.connections, "connections": sum(outcomes.values()),
        "header_lines_sent": lines_sent, "interval": args.interval,
        "read_timeout": args.read_timeout, "outcomes": dict(outcomes),
        "connect_failed": dict(connect_failed), "cut_after": spread(lived),
        "seconds": round(time.monotonic() - started, 1)}))


# ---------------------------------------------------------------------------------- misbehave

def request(target, method="GET", extra="", close_it=True):
    connection = "Connection: close\r\n" if close_it else ""
    return (f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}{connection}\r\n").encode()


async def hang_up_before_sending(reader, writer):
    return "hung up"


async def hang_up_mid_request(reader, writer):
    writer.write(b"GET /async-endpoint?sleep=0 HTTP/1.1\r\nHo")
    await writer.drain()
    return "hung up"


async def hang_up_after_request(reader, writer):
    writer.write(request(f"/async-endpoint?sleep={random.choice([0, 0.05, 0.2])}"))
    await writer.drain()
    return "hung up"


async def reset_during_sync_request(reader, writer):
    writer.write(request("/sync-endpoint?sleep=0.1"))
    await writer.drain()
    await asyncio.sleep(0.02)  # the handler is on a pool thread now
    close(writer, reset=True)
    return "reset by us"


async def hang_up_mid_response(reader, writer):
    writer.write(request(random.choice(["/healthz", "/metrics"])))
    await writer.drain()
    first = await asyncio.wait_for(reader.read(200), 5)
    return status_of(first) + ", hung up"


async def peek_at_events(reader, writer):
    writer.write(request("/events", close_it=False))
    await writer.drain()
    seen = b""
    while b"event: hello" not in seen and len(seen) < 65536:
        chunk = await asyncio.wait_for(reader.read(4096), 5)
        if not chunk:
            break
        seen += chunk
    return status_of(seen) + ", hung up"


async def send_garbage(reader, writer):
    writer.write(bytes(random.randrange(1, 256) for _ in range(300)) + b"\r\n\r\n")
    await writer.drain()
    return (await read_all(reader, 10))[0]


async def send_huge_header(reader, writer):
    writer.write(request("/healthz", extra=f"X-Big: {'h' * 20000}\r\n"))
    await writer.drain()
    return (await read_all(reader, 10))[0]


async def announce_huge_body(reader, writer):
    writer.write(request("/async-endpoint", method="POST", extra="Content-Length: 1000000\r\n")
                 + b"b" * 1000)
    await writer.drain()
    return (await read_all(reader, 10))[0]


async def send_huge_body(reader, writer):
    # Like most simple clients: the whole body first, then read the answer.
    writer.write(request("/async-endpoint", method="POST", extra="Content-Length: 300000\r\n")
                 + b"b" * 300000)
    await writer.drain()
    return (await read_all(reader, 10))[0]


async def ask_bad_sleep(reader, writer):
    writer.write(request(random.choice(["/async-endpoint?sleep=abc", "/sync-endpoint?sleep=-1",
                                        "/async-endpoint?sleep=1e9", "/async-cpu?work=nan"])))
    await writer.drain()
    return (await read_all(reader, 10))[0]


async def use_wrong_method(reader, writer):
    writer.write(request("/async-endpoint", method="DELETE"))
    await writer.drain()
    return (await read_all(reader, 10))[0]


async def ask_unknown_path(reader, writer):
    writer.write(request("/no/such/page"))
    await writer.drain()
    return (await read_all(reader, 10))[0]


async def pipeline_two(reader, writer):
    writer.write(request("/healthz", close_it=False) + request("/async-endpoint?sleep=0"))
    await writer.drain()
    _, answer = await read_all(reader, 10)
    return f"{answer.count(b'HTTP/1.1 200 ')} x HTTP 200"


def send_head(head):
    """A request whose head lies or breaks a framing rule (RFC 9112); the server's answer."""
    async def behave(reader, writer):
        writer.write(head.replace(b"\n", b"\r\n") + b"Connection: close\r\n\r\n")
        await writer.drain()
        return (await read_all(reader, 10))[0]
    return behave


# Requests smuggled past a proxy live on heads like these: each must be refused, never guessed.
FRAMING = {
    "Content-Length and chunked": (
        b"POST /async-endpoint HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 4\n"
        b"Transfer-Encoding: chunked\n", "HTTP 400"),
    "two Content-Lengths": (
        b"POST /async-endpoint HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 3\nContent-Length: 4\n",
        "HTTP 400"),
    "gzip transfer coding": (
        b"POST /async-endpoint HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: gzip, chunked\n",
        "HTTP 501"),
    "no Host": (b"GET /healthz HTTP/1.1\n", "HTTP 400"),
    "two Hosts": (b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\nHost: a.example\n", "HTTP 400"),
    "foreign Host": (b"GET /healthz HTTP/1.1\nHost: evil.example\n", "HTTP 421"),
    "Expect: 200-ok": (
        b"POST /async-endpoint HTTP/1.1\nHost: 127.0.0.1\nExpect: 200-ok\nContent-Length: 0\n",
        "HTTP 417"),
}


# The dashboard has its own port (--dashboard-port); these go there.
ON_THE_DASHBOARD_PORT = {"peek at /events"}

# What each kind of misbehaviour should get from the server.
MISBEHAVIOURS = {
    "hang up before sending": (hang_up_before_sending, {"hung up"}),
    "hang up mid-request": (hang_up_mid_request, {"hung up"}),
    "hang up right after the request": (hang_up_after_request, {"hung up"}),
    "reset during a sync request": (reset_during_sync_request, {"reset by us"}),
    "hang up mid-response": (hang_up_mid_response, {"HTTP 200, hung up"}),
    "peek at /events": (peek_at_events, {"HTTP 200, hung up"}),
    "garbage bytes": (send_garbage, {"HTTP 400"}),
    "20 KB header": (send_huge_header, {"HTTP 431"}),
    "1 MB body announced": (announce_huge_body, {"HTTP 413"}),
    "300 KB body sent whole": (send_huge_body, {"HTTP 413"}),
    "bad sleep": (ask_bad_sleep, {"HTTP 400"}),
    "DELETE": (use_wrong_method, {"HTTP 405"}),
    "unknown path": (ask_unknown_path, {"HTTP 404"}),
    "two pipelined": (pipeline_two, {"2 x HTTP 200"}),
    **{kind: (send_head(head), {status}) for kind, (head, status) in FRAMING.items()},
}


async def misbehave(args):
    raise_open_file_limit()
    deadline = time.monotonic() + args.duration
    outcomes = {kind: Counter() for kind in MISBEHAVIOURS}

    async def worker(number):
        kinds = list(MISBEHAVIOURS)
        turn = number
        while time.monotonic() < deadline:
            kind = kinds[turn % len(kinds)]
            turn += 1
            behave, _ = MISBEHAVIOURS[kind]
            port = args.dashboard_port if kind in ON_THE_DASHBOARD_PORT else args.port
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
            except (OSError, asyncio.TimeoutError) as e:
                outcomes[kind]["connect: " + failure_name(e)] += 1
                continue
            try:
                outcomes[kind][await behave(reader, writer)] += 1
            except (OSError, asyncio.TimeoutError) as e:
                outcomes[kind][failure_name(e)] += 1
            finally:
                close(writer)
            await asyncio.sleep(args.pause)

    await asyncio.gather(*(worker(i) for i in range(args.concurrency)))
    report = {}
    for kind, seen in outcomes.items():
        expected = MISBEHAVIOURS[kind][1]
        report[kind] = {"attempts": sum(seen.values()), "outcomes": dict(seen),
                        "expected": sorted(expected),
                        "unexpected": sum(n for what, n in seen.items() if what not in expected)}
    print(json.dumps({"kinds": report,
                      "attempts": sum(k["attempts"] for k in report.values()),
                      "unexpected": sum(k["unexpected"] for k in report.values())}))


# -------------------------------------------------------------------------------------- burst

async def burst(args):
    raise_open_file_limit()
    outcomes, retry_after = Counter(), 0
    connected_now = peak_connected = 0
    served_in, unanswered_after = [], []
    # At most WAVE connects in progress at once, each followed at once by its request: a crowd
    # of separate clients, not one client that opens 15,000 sockets before writing to any.
    connecting = asyncio.Semaphore(args.wave)
    started = time.monotonic()

    async def attempt():
        nonlocal retry_after, connected_now, peak_connected
        async with connecting:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, args.port),
                                                        args.connect_timeout)
            except (OSError, asyncio.TimeoutError) as e:
                outcomes["connect " + failure_name(e)] += 1
                return
            connected_now += 1
            peak_connected = max(peak_connected, connected_now)
            sent = time.monotonic()
            try:
                writer.write(request(f"/async-endpoint?sleep={args.hold}"))
                await writer.drain()
            except OSError:
                pass  # the answer (or its absence) tells
        outcome, answer = await read_all(reader, args.hold + 30)
        outcomes[outcome] += 1
        if outcome == "HTTP 200":
            served_in.append(time.monotonic() - sent)
        elif outcome in ("closed without answer", "reset"):
            unanswered_after.append(time.monotonic() - sent)
        if b"\r\nretry-after:" in answer.lower():
            retry_after += 1
        connected_now -= 1
        close(writer)

    await asyncio.gather(*(attempt() for _ in range(args.attempts)))
    print(json.dumps({"attempts": args.attempts, "hold": args.hold, "wave": args.wave,
                      "outcomes": dict(outcomes), "with_retry_after": retry_after,
                      "peak_connected": peak_connected, "served_in": spread(served_in),
                      "unanswered_after": spread(unanswered_after),
                      "seconds": round(time.monotonic() - started, 1)}))


# ------------------------------------------------------------------------------------ metrics

def metrics(args):
    from prometheus_client.parser import text_string_to_metric_families  # Debian's package

    with urllib.request.urlopen(f"http://{HOST}:{args.port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    by_status, by_endpoint, gauges = Counter(), Counter(), {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "asyncscope_requests_total":
                by_status[sample.labels["status"]] += int(sample.value)
                by_endpoint[f'{sample.labels["endpoint"]} {sample.labels["status"]}'] += \
                    int(sample.value)
            elif not sample.labels:
                gauges[sample.name.removeprefix("asyncscope_")] = sample.value
    print(json.dumps({"requests_total": sum(by_status.values()), "by_status": dict(by_status),
                      "by_endpoint": dict(sorted(by_endpoint.items())), **gauges}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("slowloris")
    p.add_argument("--connections", type=int, default=500)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--interval", type=float, default=1)
    p.add_argument("--read-timeout", type=float, default=5, help="the server's, to know when to stop")
    p = commands.add_parser("misbehave")
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--pause", type=float, default=0.05)
    p.add_argument("--dashboard-port", type=int, required=True, help="the server's dashboard port")
    p = commands.add_parser("burst")
    p.add_argument("--attempts", type=int, default=15000)
    p.add_argument("--hold", type=float, default=5)
    p.add_argument("--connect-timeout", type=float, default=10)
    p.add_argument("--wave", type=int, default=200, help="most connects in progress at once")
    commands.add_parser("metrics")
    for p in commands.choices.values():
        p.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "metrics":
        metrics(args)
    else:
        asyncio.run({"slowloris": slowloris, "misbehave": misbehave, "burst": burst}[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
