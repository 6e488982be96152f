#pragma once
// The worker pool: threads that may block. `co_await pool.run(f)` is the C++ for FastAPI's
// `await run_in_threadpool(f)`: f runs on a pool thread while the awaiting coroutine is
// suspended, so the event loop serves others meanwhile.

#include "loop_tracking.hpp"
#include "named_threads.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

namespace asyncscope {

class worker_pool {
 public:
  explicit worker_pool(int threads) : threads_("pool", threads), size_(threads) {}

  // Runs blocking_work on a pool thread and resumes the caller with its result (or its
  // exception). `where` is the caller's line: GET /requests shows it as where the request waits.
  // The work is posted to the pool, and its result dispatched back to the caller's executor:
  // one hop each way, so the request's threads read "loop-0, pool-07".
  template <typename F, typename R = std::invoke_result_t<F&>>
  boost::asio::awaitable<R> run(F blocking_work,
                                std::source_location where = std::source_location::current()) {
    ++queued_;
    boost::asio::use_awaitable_t<> resume_here(where.file_name(), static_cast<int>(where.line()),
                                               where.function_name());
    co_return co_await boost::asio::async_initiate<decltype(resume_here),
                                                   void(std::exception_ptr, R)>(
        [this](auto resume, F work) {
          boost::asio::post(threads_.context(), [this, work = std::move(work),
                                                 resume = std::move(resume)]() mutable {
            std::exception_ptr error;
            R result{};
            try {
              const busy_worker busy{*this};
              result = work();
            } catch (...) {
              error = std::current_exception();
            }
            loop_tracking::end_run_here();  // its time here is counted before the caller resumes
            const auto caller = boost::asio::get_associated_executor(resume);
            boost::asio::dispatch(caller, [resume = std::move(resume), error,
                                           result = std::move(result)]() mutable {
              std::move(resume)(error, std::move(result));
            });
          });
        },
        resume_here, std::move(blocking_work));
  }

  // Each thread calls on_start(its name), if given, before it takes work.
  void start(std::function<void(const std::string&)> on_start = {}) {
    threads_.start(std::move(on_start));
  }
  void stop_and_join() { threads_.stop_and_join(); }

  int size() const { return size_; }
  int queued() const { return queued_; }  // waiting for a free thread
  int busy() const { return busy_; }      // running blocking work now
  // Whether one more job would find every thread busy and `max_waiting` jobs already waiting.
  bool full(int max_waiting) const { return queued_ + busy_ >= size_ + max_waiting; }

 private:
  // Moves one job from queued to busy while it runs.
  struct busy_worker {
    explicit busy_worker(worker_pool& pool) : pool_(pool) {
      --pool_.queued_;
      ++pool_.busy_;
    }
    ~busy_worker() { --pool_.busy_; }
    busy_worker(const busy_worker&) = delete;
    busy_worker& operator=(const busy_worker&) = delete;
    worker_pool& pool_;
  };

  named_threads threads_;
  int size_;
  std::atomic<int> queued_{0};
  std::atomic<int> busy_{0};
};

}  // namespace asyncscope
