// The lesson: three ways to wait for one second of I/O, and where each one waits.
//
//   /sync-endpoint   a plain blocking function. The server runs it on the worker pool, so the
//                    pool thread blocks and the event loop stays free. N requests need N threads.
//   /async-endpoint  a coroutine on the event loop. It awaits a timer through two nested calls;
//                    while it waits, the loop thread serves everybody else.
//   /async-wrong     a coroutine on the event loop that calls a blocking sleep. The loop thread
//                    cannot serve anybody until it returns: requests go one at a time.

#include "lesson.hpp"

#include "logging.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <thread>

namespace asyncscope {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// Notes when and on which thread a request's simulated I/O starts, for the response body.
class io_stopwatch {
 public:
  explicit io_stopwatch(const request_info& req) : req_(req) {}

  double started_at() const { return started_at_; }

  endpoint_result finish(std::string message) const {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    return {.message = std::move(message),
            .endpoint = std::string(req_.endpoint),
            .request_id = req_.id,
            .pid = getpid(),
            .thread_id = thread_id_,
            .thread_name = thread_name_,
            .sleep = req_.sleep.count(),
            .started_at = started_at_,
            .finished_at = unix_seconds_now(),
            .duration = elapsed.count()};
  }

 private:
  const request_info& req_;
  double started_at_ = unix_seconds_now();
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  long thread_id_ = this_thread_os_id();
  std::string thread_name_ = this_thread_name();
};

// The timer's own duration type, for a sleep given in (fractional) seconds.
asio::steady_timer::duration steady(std::chrono::duration<double> seconds) {
  return std::chrono::duration_cast<asio::steady_timer::duration>(seconds);
}

// ---- /sync-endpoint ------------------------------------------------------------------------

endpoint_result sync_endpoint(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch io{req};
  spdlog::info("{} sleep {} s, starting the I/O now (at {:.6f})", req, req.sleep.count(),
               io.started_at());

  std::this_thread::sleep_for(req.sleep);  // simulated I/O: blocks this pool thread, only it

  spdlog::info("{} slept for {} s", req, req.sleep.count());
  auto result = io.finish("Sync endpoint completed!");
  spdlog::info("{} done: sleep {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  return result;
}

// ---- /async-endpoint -----------------------------------------------------------------------

awaitable<void> async_depth_2(const request_info& req) {
  spdlog::info("{} I'm just in depth 2", req);
  spdlog::info("{} Call ASYNC JOB to system! (the loop is free until it is done)", req);
  asio::steady_timer io{co_await asio::this_coro::executor, steady(req.sleep)};
  co_await io.async_wait(use_awaitable);  // simulated I/O: this coroutine pauses, the loop runs on
  spdlog::info("{} Came back to depth 2", req);
  spdlog::info("{} depth 2 DONE", req);
}

awaitable<void> async_depth_1(const request_info& req) {
  spdlog::info("{} I'm just in depth 1", req);
  spdlog::info("{} Call depth 2", req);
  co_await async_depth_2(req);
  spdlog::info("{} Came back to depth 1", req);
  spdlog::info("{} depth 1 DONE", req);
}

awaitable<endpoint_result> async_endpoint(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch io{req};
  spdlog::info("{} sleep {} s, starting the I/O now (at {:.6f})", req, req.sleep.count(),
               io.started_at());

  co_await async_depth_1(req);

  spdlog::info("{} awaited the I/O for {} s", req, req.sleep.count());
  auto result = io.finish("Async endpoint completed!");
  spdlog::info("{} done: sleep {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  co_return result;
}

// ---- /async-wrong --------------------------------------------------------------------------

awaitable<endpoint_result> async_wrong(const request_info& req) {
  spdlog::info("{} just called", req);
  const io_stopwatch io{req};
  spdlog::info("{} sleep {} s, starting the I/O now (at {:.6f})", req, req.sleep.count(),
               io.started_at());

  std::this_thread::sleep_for(req.sleep);  // the pitfall: a blocking call on the loop thread

  spdlog::info("{} slept for {} s, and the whole loop slept with it", req, req.sleep.count());
  auto result = io.finish("Async-wrong endpoint completed!");
  spdlog::info("{} done: sleep {} s, elapsed {:.3f} s", req, req.sleep.count(), result.duration);
  co_return result;
}

}  // namespace

// ---- where each one runs -------------------------------------------------------------------

awaitable<endpoint_result> run_lesson_endpoint(lesson_endpoint which, const request_info& req,
                                               asio::io_context& worker_pool) {
  switch (which) {
    case lesson_endpoint::sync_endpoint:
      spdlog::info("{} handed to the worker pool; the loop goes back to serving", req);
      co_return co_await asio::co_spawn(
          worker_pool, [req]() -> awaitable<endpoint_result> { co_return sync_endpoint(req); },
          use_awaitable);
    case lesson_endpoint::async_endpoint:
      co_return co_await async_endpoint(req);  // runs right here, on the event loop
    case lesson_endpoint::async_wrong:
      co_return co_await async_wrong(req);  // runs right here too, and blocks the loop
  }
  throw std::logic_error("unknown lesson endpoint");
}

}  // namespace asyncscope
