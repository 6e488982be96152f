"""The lesson's three endpoints in FastAPI, to read beside server/lesson.cpp.

FastAPI (on uvicorn) runs one event loop on the main thread of one process. Where a handler
runs depends only on how it is declared:

  /sync-endpoint   a plain `def`. FastAPI sends it to a worker thread (AnyIO's pool, at most
                   40 at once), so time.sleep blocks that thread only. 50 requests: two waves.
  /async-endpoint  an `async def` that awaits asyncio.sleep through two nested coroutines. It
                   runs on the event loop, which serves everybody else while it waits.
  /async-wrong     an `async def` that calls time.sleep. It runs on the event loop too, and
                   awaits nothing: the loop, the only thread that serves requests, stands still.

Run:  /usr/bin/python3 peers/fastapi_app.py --port 8000   (Debian: apt-get install python3-fastapi
      python3-uvicorn; add python3-uvloop python3-httptools for uvicorn's faster loop and parser)
"""

import argparse
import asyncio
import itertools
import logging
import math
import os
import re
import socket
import threading
import time
from datetime import datetime

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

DEFAULT_SLEEP = 1.0  # the same default and limit as asyncscope-server's --sleep, --max-sleep
MAX_SLEEP = 60.0

app = FastAPI()
log = logging.getLogger("lesson")
request_ids = itertools.count(1)  # next() on it is one step under the GIL: safe from any thread


def thread_name() -> str:
    """The event loop's thread is MainThread; AnyIO names all its workers alike, so add the id."""
    thread = threading.current_thread()
    return thread.name if thread is threading.main_thread() else f"worker-{thread.native_id}"


class Call:
    """One call to a lesson endpoint, timed from its start; in logs it reads "/async-wrong #3"."""

    def __init__(self, endpoint: str, sleep: float):
        self.endpoint, self.sleep, self.id = endpoint, sleep, next(request_ids)
        self.started_at, self.start = time.time(), time.perf_counter()
        self.thread_id, self.thread_name = threading.get_native_id(), thread_name()

    def __str__(self) -> str:
        return f"{self.endpoint} #{self.id}"

    def finish(self, message: str) -> dict:
        """The answer, with the fields of asyncscope's common/endpoint_result.hpp."""
        duration = round(time.perf_counter() - self.start, 6)
        log.info("%s done: sleep %g s, elapsed %.3f s", self, self.sleep, duration)
        return {"message": message, "endpoint": self.endpoint, "request_id": self.id,
                "pid": os.getpid(), "thread_id": self.thread_id, "thread_name": self.thread_name,
                "sleep": self.sleep, "started_at": round(self.started_at, 6),
                "finished_at": round(time.time(), 6), "duration": duration}


@app.get("/sync-endpoint")
def sync_endpoint(request: Request):
    """A plain `def`: FastAPI runs it on a worker thread, so blocking here blocks only that one."""
    call = Call("/sync-endpoint", sleep_of(request))
    log.info("%s just called", call)
    log.info("%s sleep %g s, starting the I/O now (at %.6f)", call, call.sleep, call.started_at)
    time.sleep(call.sleep)  # simulated I/O: blocks this worker thread, only it
    log.info("%s slept for %g s", call, call.sleep)
    return call.finish("Sync endpoint completed!")


async def async_depth_2(call: Call):
    """The innermost coroutine: the only place that waits, and it waits by await."""
    log.info("%s I'm just in depth 2", call)
    log.info("%s Call ASYNC JOB to system! (the loop is free until it is done)", call)
    await asyncio.sleep(call.sleep)  # this coroutine pauses; the loop runs on
    log.info("%s Came back to depth 2", call)
    log.info("%s depth 2 DONE", call)


async def async_depth_1(call: Call):
    """A coroutine that awaits a coroutine: the whole chain pauses, not the thread."""
    log.info("%s I'm just in depth 1", call)
    log.info("%s Call depth 2", call)
    await async_depth_2(call)
    log.info("%s Came back to depth 1", call)
    log.info("%s depth 1 DONE", call)


@app.get("/async-endpoint")
async def async_endpoint(request: Request):
    """An `async def` that awaits: it runs on the event loop, which serves others meanwhile."""
    call = Call("/async-endpoint", sleep_of(request))
    log.info("%s just called", call)
    log.info("%s sleep %g s, starting the I/O now (at %.6f)", call, call.sleep, call.started_at)
    await async_depth_1(call)
    log.info("%s awaited the I/O for %g s", call, call.sleep)
    return call.finish("Async endpoint completed!")


@app.get("/async-wrong")
async def async_wrong(request: Request):
    """An `async def` with no await to give the loop back: every other request waits."""
    call = Call("/async-wrong", sleep_of(request))
    log.info("%s just called", call)
    log.info("%s sleep %g s, starting the I/O now (at %.6f)", call, call.sleep, call.started_at)
    time.sleep(call.sleep)  # the pitfall: a blocking call on the event loop's thread
    log.info("%s slept for %g s, and the whole loop slept with it", call, call.sleep)
    return call.finish("Async-wrong endpoint completed!")


# ---- Plumbing: ?sleep=, health, logs, flags. The lesson is above. ----

class BadSleep(Exception):
    pass


@app.exception_handler(BadSleep)
async def bad_sleep(_request: Request, error: BadSleep):
    return JSONResponse({"error": "bad_sleep", "detail": str(error)}, status_code=400)


# ?sleep= as asyncscope reads it: decimal digits with at most one point (2, 0.5, .5); not
# 1e0, +1, -0, inf or 1_0, which float() takes. One way to match each text: no backtracking.
PLAIN_SECONDS = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def sleep_of(request: Request) -> float:
    """?sleep=: plain seconds from 0 to MAX_SLEEP, default 1."""
    values = request.query_params.getlist("sleep")
    if not values:
        return DEFAULT_SLEEP
    if len(values) > 1:
        raise BadSleep("sleep is given more than once")
    text = values[0]
    seconds = float(text) if PLAIN_SECONDS.fullmatch(text) else math.nan
    underflow = seconds == 0 and re.search("[1-9]", text)  # 0.000...1: too small for a double
    if not seconds <= MAX_SLEEP or underflow:
        raise BadSleep(f"sleep must be a number of seconds from 0 to {MAX_SLEEP:g}, got '{text}'")
    return seconds


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


class LessonFormatter(logging.Formatter):
    """Each line like asyncscope's: time, Process ID, and the OS thread id with its name."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")
        return (f"{at} Process ID: {record.process} | Thread ID: {threading.get_native_id()} "
                f"({thread_name()}) | {record.getMessage()}")


def main():
    parser = argparse.ArgumentParser(description="The lesson's endpoints in FastAPI on uvicorn.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0: any free port")
    parser.add_argument("--log-level", choices=["info", "warn", "off"], default="info")
    args = parser.parse_args()

    handler = logging.StreamHandler()
    handler.setFormatter(LessonFormatter())
    log.addHandler(handler)
    levels = {"info": logging.INFO, "warn": logging.WARNING, "off": logging.CRITICAL + 1}
    log.setLevel(levels[args.log_level])

    # Bound here rather than by uvicorn, so that port 0 works and the real port can be printed.
    listener = socket.create_server((args.host, args.port), backlog=4096)
    print(f"listening on http://{args.host}:{listener.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app, log_level="info" if args.log_level == "info" else "warning",
                            access_log=args.log_level == "info", backlog=4096)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
