#pragma once
// The worker pool: threads that may block. `co_await pool.run(f)` is the C++ for FastAPI's
// `await run_in_threadpool(f)`: f runs on a pool thread while the awaiting coroutine is
// suspended, so the event loop serves others meanwhile.

#include "named_threads.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <type_traits>
#include <utility>

namespace asyncscope {

class worker_pool {
 public:
  explicit worker_pool(int threads) : threads_("pool", threads), size_(threads) {}

  // Runs blocking_work on a pool thread and resumes the caller with its result.
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F blocking_work) {
    ++queued_;
    co_return co_await boost::asio::co_spawn(
        threads_.context(),
        [this, work = std::move(
                   blocking_work)]() mutable -> boost::asio::awaitable<std::invoke_result_t<F&>> {
          const busy_worker busy{*this};
          co_return work();
        },
        boost::asio::use_awaitable);
  }

  void start() { threads_.start(); }
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
