#pragma once
// One request's clock on the server: when it became ready, how long its handlers held a thread,
// how often it resumed and on which threads, and where it waits now. Written by the handler
// tracking hooks (loop_tracking.hpp) on whatever thread runs the request's code, read by the
// request itself (its JSON answer) and by GET /requests from any thread; so every field another
// thread may read is atomic, and the rare, larger things sit behind a mutex.

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

namespace asyncscope::loop_tracking {

// A co_await's line, as Asio's handler tracking reports it (BOOST_ASIO_HANDLER_LOCATION): the
// strings have static storage (std::source_location's).
struct code_location {
  const char* file = nullptr;
  int line = 0;
  const char* function = nullptr;
};

// A time a request was ready to run but did not, on the steady clock (ns), and the thread that
// then ran it.
struct ready_wait {
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
  const char* thread = nullptr;
};

class request_timing {
 public:
  // Distinct threads remembered per request: a request runs on its loop thread and, at most, on
  // one pool thread; more are counted, not named.
  static constexpr std::size_t most_threads = 4;
  // Times a request was ready to resume but its thread was held, remembered for waited_behind.
  static constexpr std::size_t most_stalls = 32;
  // Shorter stalls are the loop's ordinary turn-taking, not worth naming who caused them.
  static constexpr std::int64_t least_stall_ns = 1'000'000;

  request_timing(std::uint64_t id, const char* endpoint, std::int64_t ready_ns)
      : id(id), endpoint(endpoint), ready_ns(ready_ns) {}
  request_timing(const request_timing&) = delete;
  request_timing& operator=(const request_timing&) = delete;

  const std::uint64_t id;
  const char* const endpoint;  // static storage: a route's label
  // When it was ready to run: its connection accepted (the first request on a connection), or
  // its first bytes read (a later one on a kept-alive connection).
  const std::int64_t ready_ns;

  std::int64_t first_run_ns() const { return first_run_ns_.load(std::memory_order_relaxed); }
  std::int64_t busy_ns() const { return busy_ns_.load(std::memory_order_relaxed); }
  int runs() const { return runs_.load(std::memory_order_relaxed); }
  // The thread running its code now, or null.
  const char* running_on() const { return running_on_.load(std::memory_order_acquire); }

  // The threads that ran its code, in the order they first did; `more` counts the others.
  std::vector<const char*> threads(int* more = nullptr) const {
    std::vector<const char*> names;
    for (const auto& slot : threads_) {
      if (const char* name = slot.load(std::memory_order_acquire)) names.push_back(name);
    }
    if (more) *more = more_threads_.load(std::memory_order_relaxed);
    return names;
  }

  // Where it waits now: the last co_await with a known line since it last ran, if any.
  code_location waiting_at() const {
    const std::lock_guard lock{mutex_};
    return waiting_at_;
  }

  // When an operation it awaits made it ready to run again (a timer's expiry, a handler posted
  // to its executor), until that run starts; 0 when none is known.
  std::int64_t resumable_since() const { return resumable_ns_.load(std::memory_order_relaxed); }
  void resumable_at(std::int64_t ns) { resumable_ns_.store(ns, std::memory_order_relaxed); }

  std::vector<ready_wait> stalls() const {
    const std::lock_guard lock{mutex_};
    return stalls_;
  }

  // The hooks' side. A run is one stretch of its code on one thread, between two co_awaits.
  void run_starts(std::int64_t now_ns, const char* thread, std::int64_t ready_since_ns) {
    std::int64_t never = 0;
    first_run_ns_.compare_exchange_strong(never, now_ns, std::memory_order_relaxed);
    running_on_.store(thread, std::memory_order_release);
    resumable_ns_.store(0, std::memory_order_relaxed);
    if (thread) remember_thread(thread);
    if (has_waiting_at_.load(std::memory_order_relaxed) ||
        (ready_since_ns > 0 && now_ns - ready_since_ns >= least_stall_ns)) {
      const std::lock_guard lock{mutex_};
      waiting_at_ = {};
      has_waiting_at_.store(false, std::memory_order_relaxed);
      if (ready_since_ns > 0 && now_ns - ready_since_ns >= least_stall_ns &&
          stalls_.size() < most_stalls) {
        stalls_.push_back({ready_since_ns, now_ns, thread});
      }
    }
  }

  void run_ends(std::int64_t ran_ns) {
    busy_ns_.fetch_add(ran_ns, std::memory_order_relaxed);
    runs_.fetch_add(1, std::memory_order_relaxed);
    running_on_.store(nullptr, std::memory_order_release);
  }

  void waits_at(const code_location& where) {
    const std::lock_guard lock{mutex_};
    waiting_at_ = where;
    has_waiting_at_.store(true, std::memory_order_relaxed);
  }

 private:
  void remember_thread(const char* thread) {
    for (auto& slot : threads_) {
      const char* seen = slot.load(std::memory_order_acquire);
      if (seen == thread) return;
      if (seen == nullptr && slot.compare_exchange_strong(seen, thread)) return;
      if (seen == thread) return;  // another thread put the same name there first
    }
    more_threads_.fetch_add(1, std::memory_order_relaxed);
  }

  std::atomic<std::int64_t> first_run_ns_{0};
  std::atomic<std::int64_t> busy_ns_{0};
  std::atomic<int> runs_{0};
  std::atomic<const char*> running_on_{nullptr};
  std::array<std::atomic<const char*>, most_threads> threads_{};
  std::atomic<int> more_threads_{0};
  std::atomic<bool> has_waiting_at_{false};
  std::atomic<std::int64_t> resumable_ns_{0};
  mutable std::mutex mutex_;
  code_location waiting_at_{};
  std::vector<ready_wait> stalls_{};
};

}  // namespace asyncscope::loop_tracking
