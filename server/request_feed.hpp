#pragma once
// What the live dashboard draws: each request's simulated I/O starting and finishing on a
// thread, the blocking detector's warnings, and, while a page is watching, how each request's
// time split and whom it waited behind. The loop, the pool and the watchdog only append, under a
// mutex; the dashboard's own thread takes the events, so it keeps moving while the loop is
// blocked.

#include "endpoint_result.hpp"

#include <atomic>
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

// A lesson request's time when its answer was ready: the card a page shows for its bar.
struct timing_report {
  std::uint64_t request_id = 0;
  std::string endpoint{};
  double at = 0;  // Unix epoch seconds
  time_split split{};
  std::vector<wait_cause> waited_behind{};
};

class request_feed {
 public:
  // The most timing reports kept between two takes (100 ms apart): past it, a burst's later
  // requests get no card, and the loop stops copying them.
  static constexpr std::size_t max_timings = 100;

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

  // Set by the dashboard every tick: whether any page watches. Timing reports are made only
  // then, so that a server nobody watches builds none.
  void set_watched(bool watched) { watched_.store(watched, std::memory_order_relaxed); }
  bool watched() const { return watched_.load(std::memory_order_relaxed); }
  // Whether one more timing report would be kept: a page watches, and this tick has room.
  bool wants_timing() const {
    return watched() && timings_pending_.load(std::memory_order_relaxed) < max_timings;
  }

  void add_timing(timing_report report) {
    const std::lock_guard lock{mutex_};
    if (timings_.size() >= max_timings) return;
    timings_.push_back(std::move(report));
    timings_pending_.store(timings_.size(), std::memory_order_relaxed);
  }

  // The timing reports added since the last call.
  std::vector<timing_report> take_timings() {
    std::vector<timing_report> taken;
    const std::lock_guard lock{mutex_};
    taken.swap(timings_);
    timings_pending_.store(0, std::memory_order_relaxed);
    return taken;
  }

 private:
  // The dashboard takes every 100 ms; this bounds what piles up if it falls behind.
  static constexpr std::size_t max_pending = 50'000;
  std::mutex mutex_;
  std::vector<feed_event> pending_;
  std::vector<timing_report> timings_;
  std::atomic<std::size_t> timings_pending_{0};
  std::atomic<bool> watched_{false};
};

}  // namespace asyncscope
