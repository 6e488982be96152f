#pragma once
// What the live dashboard draws: each request's simulated I/O starting and finishing on a
// thread, and the blocking detector's warnings. The loop, the pool and the watchdog only append,
// under a mutex; the dashboard's own thread takes the events, so it keeps moving while the loop
// is blocked.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace asyncscope {

struct feed_event {
  enum class kind { io_started, io_finished, warning };
  kind what = kind::warning;
  std::uint64_t request_id = 0;
  std::string endpoint{};  // "/async-wrong"
  std::string thread{};    // "loop-0", "pool-07"
  double at = 0;           // Unix epoch seconds
  std::string text{};      // a warning's text
};

class request_feed {
 public:
  void add(feed_event event) {
    const std::lock_guard lock{mutex_};
    if (pending_.size() < max_pending) pending_.push_back(std::move(event));
  }

  // Everything added since the last call.
  std::vector<feed_event> take() {
    std::vector<feed_event> taken;
    const std::lock_guard lock{mutex_};
    taken.swap(pending_);
    return taken;
  }

 private:
  // The dashboard takes every 100 ms; this bounds what piles up if it falls behind.
  static constexpr std::size_t max_pending = 50'000;
  std::mutex mutex_;
  std::vector<feed_event> pending_;
};

}  // namespace asyncscope
