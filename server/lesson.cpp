// The lesson: three ways to wait for one second of I/O, and where each one waits.
//
//   /sync-endpoint   a plain blocking function. The server runs it on the worker pool, so the
//                    pool thread blocks and the event loop stays free. N requests need N threads.
//   /async-endpoint  a coroutine on the event loop. It awaits a timer through two nested calls;
//                    while it waits, the loop thread serves everybody else.
//   /async-wrong     a coroutine on the event loop that calls a blocking sleep. The loop thread
//                    cannot serve anybody until it returns: requests go one at a time.
//
// Then the other pitfalls, and the fix:
//   /async-offload       the fix for /async-wrong: the coroutine hands the blocking sleep to the
//                        worker pool and awaits it.
//   /async-forgot-await  calls the nested coroutine without co_await: it never runs, no I/O.
//   /async-cpu           computes instead of sleeping; it blocks the loop just the same.

#include "lesson.hpp"

#include "cpu_work.hpp"
#include "io_stopwatch.hpp"
#include "worker_pool.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>
#include <thread>

namespace asyncscope {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable_t;  // use_awaitable_t(), made on a co_await's line, tells Asio that line

namespace {

// /sync-endpoint, like FastAPI's plain `def`: ordinary blocking code. Safe only because
// run_lesson_endpoint (below) never calls it on the event loop.
endpoint_result sync_endpoint(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch stopwatch{req};
  spdlog::info("{} sleep {} s, starting the I/O now (at {:.6f})", req, req.sleep.count(),
               stopwatch.started_at());

  std::this_thread::sleep_for(req.sleep);  // simulated I/O: blocks this pool thread, only it

  spdlog::info("{} slept for {} s", req, req.sleep.count());
  auto result = stopwatch.finish("Sync endpoint completed!");
  spdlog::info("{} done: sleep {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  return result;
}

// The innermost call of /async-endpoint: the only place that waits, and it waits by co_await.
awaitable<void> async_depth_2(const request_info& req) {
  spdlog::info("{} I'm just in depth 2", req);
  spdlog::info("{} Call ASYNC JOB to system! (the loop is free until it is done)", req);
  asio::steady_timer simulated_io{co_await asio::this_coro::executor, timer_duration(req.sleep)};
  co_await simulated_io.async_wait(use_awaitable_t());  // this coroutine pauses; the loop runs on
  spdlog::info("{} Came back to depth 2", req);
  spdlog::info("{} depth 2 DONE", req);
}

// A coroutine that calls a coroutine: awaiting it suspends the whole chain, not the thread.
awaitable<void> async_depth_1(const request_info& req) {
  spdlog::info("{} I'm just in depth 1", req);
  spdlog::info("{} Call depth 2", req);
  co_await async_depth_2(req);
  spdlog::info("{} Came back to depth 1", req);
  spdlog::info("{} depth 1 DONE", req);
}

// /async-endpoint, like FastAPI's `async def` that awaits: the loop serves others meanwhile.
awaitable<endpoint_result> async_endpoint(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch stopwatch{req};
  spdlog::info("{} sleep {} s, starting the I/O now (at {:.6f})", req, req.sleep.count(),
               stopwatch.started_at());

  co_await async_depth_1(req);

  spdlog::info("{} awaited the I/O for {} s", req, req.sleep.count());
  auto result = stopwatch.finish("Async endpoint completed!");
  spdlog::info("{} done: sleep {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  co_return result;
}

// /async-wrong, like `time.sleep()` inside FastAPI's `async def`: a coroutine with no co_await
// to give the thread back, so the loop stands still.
awaitable<endpoint_result> async_wrong(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch stopwatch{req};
  spdlog::info("{} sleep {} s, starting the I/O now (at {:.6f})", req, req.sleep.count(),
               stopwatch.started_at());

  std::this_thread::sleep_for(req.sleep);  // the pitfall: a blocking call on the loop thread

  spdlog::info("{} slept for {} s, and the whole loop slept with it", req, req.sleep.count());
  auto result = stopwatch.finish("Async-wrong endpoint completed!");
  spdlog::info("{} done: sleep {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  co_return result;
}

// /async-offload, the fix for /async-wrong, like `await run_in_threadpool(time.sleep, 1)`: the
// blocking call is still there, but the coroutine awaits it on the worker pool.
awaitable<endpoint_result> async_offload(const request_info& req, worker_pool& pool) {
  spdlog::info("{} just called", req);
  spdlog::info("{} the sleep would block, so hand it to the worker pool and await it", req);
  auto result = co_await pool.run([&req] {
    const io_stopwatch stopwatch{req};
    spdlog::info("{} sleep {} s on the worker pool, starting the I/O now (at {:.6f})", req,
                 req.sleep.count(), stopwatch.started_at());
    std::this_thread::sleep_for(req.sleep);  // blocks this pool thread, only it
    spdlog::info("{} slept for {} s", req, req.sleep.count());
    return stopwatch.finish("Async-offload endpoint completed!");
  });
  spdlog::info("{} back on the event loop, which served others meanwhile", req);
  spdlog::info("{} done: sleep {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  co_return result;
}

// /async-forgot-await, like calling an `async def` without `await`: calling a coroutine only
// creates it. Nothing runs it, so it is destroyed unstarted and its I/O never happens.
awaitable<endpoint_result> async_forgot_await(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch stopwatch{req};
  spdlog::info("{} Call depth 1 (and forget to co_await it)", req);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-result"  // the compiler does warn: awaitable is nodiscard
  async_depth_1(req);  // the pitfall: no co_await, so no "I'm just in depth 1", no sleep
#pragma GCC diagnostic pop
  spdlog::info("{} depth 1 was never awaited: it never ran, and no I/O happened", req);
  auto result = stopwatch.finish("Async-forgot-await endpoint completed!");
  result.note = "depth 1 was called but never co_awaited, so it never ran: no I/O happened";
  spdlog::info("{} done: sleep {} s asked, elapsed {:.3f} s", req, req.sleep.count(),
               result.duration);
  co_return result;
}

// /async-cpu: real computation in a coroutine. It never co_awaits either, so it holds the loop
// thread exactly as /async-wrong's sleep does.
awaitable<endpoint_result> async_cpu(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch stopwatch{req};
  spdlog::info("{} compute for {} s, starting now (at {:.6f})", req, req.sleep.count(),
               stopwatch.started_at());

  const auto primes = count_primes_for(req.sleep);  // busy on the loop thread: nobody else runs

  spdlog::info("{} found {} primes, and the whole loop waited for it", req, primes);
  auto result = stopwatch.finish("Async-cpu endpoint completed!");
  result.note = fmt::format("computed for {} s on the event loop thread ({} primes found)",
                            req.sleep.count(), primes);
  spdlog::info("{} done: work {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  co_return result;
}

}  // namespace

// Where each one runs. This switch, not the handlers' code, is what makes them behave so
// differently under load. (It only picks the coroutine; the caller's co_await runs it. Not being
// a coroutine itself, it costs the loop no frame of its own: measured in docs/results.md.)
awaitable<endpoint_result> run_lesson_endpoint(lesson_endpoint which, const request_info& req,
                                               worker_pool& pool) {
  switch (which) {
    case lesson_endpoint::sync_endpoint:
      spdlog::info("{} handed to the worker pool; the loop goes back to serving", req);
      return pool.run([&req] { return sync_endpoint(req); });
    case lesson_endpoint::async_endpoint:
      return async_endpoint(req);  // runs right here, on the event loop
    case lesson_endpoint::async_wrong:
      return async_wrong(req);  // runs right here too, and blocks the loop
    case lesson_endpoint::async_offload:
      return async_offload(req, pool);  // on the loop; only its sleep goes to the pool
    case lesson_endpoint::async_forgot_await:
      return async_forgot_await(req);  // on the loop, and over at once
    case lesson_endpoint::async_cpu:
      return async_cpu(req);  // on the loop, and blocks it
  }
  throw std::logic_error("unknown lesson endpoint");
}

}  // namespace asyncscope
