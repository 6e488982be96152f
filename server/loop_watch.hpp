#pragma once
// The blocking detector. Each event-loop thread reports, through Asio's handler tracking
// (loop_tracking.hpp), when it leaves the loop to run a handler and when it comes back. A
// watchdog on its own thread looks every few milliseconds and warns while a loop thread is still
// away longer than --block-warn-ms, naming the request that holds it and the line it is
// running, read from the thread's stack at that moment (blocking_site.hpp); the loop thread
// itself says how long it was gone once it is back.

#include "blocking_site.hpp"
#include "loop_tracking.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asyncscope {

class flight_recorder;

// One loop thread as the dashboard and /metrics see it.
struct loop_thread_report {
  std::string thread{};      // "loop-0"
  double blocked_now = 0;    // seconds it has been away from the loop, if over the threshold
  std::string blocked_by{};  // "/async-wrong #7", while blocked_now > 0
  std::string blocked_at{};  // "async_wrong (server/lesson.cpp:96) ← std::this_thread::sleep_for",
                             // once the watchdog has read the blocked thread's stack
  double blocked_total = 0;  // seconds, summed over every block that crossed the threshold
};

class loop_watch {
 public:
  // `on_warning` receives each warning's text too (the dashboard shows them); `recorder`, when
  // given, keeps them with the line that blocked (GET /trace, waited_behind).
  loop_watch(std::chrono::milliseconds warn_after,
             std::function<void(const std::string&)> on_warning = {},
             flight_recorder* recorder = nullptr);
  ~loop_watch();
  loop_watch(const loop_watch&) = delete;
  loop_watch& operator=(const loop_watch&) = delete;

  // Called on each event-loop thread before it runs the loop.
  void watch_this_thread(const std::string& name);

  // Starts the watchdog thread, which calls check() every few milliseconds.
  void start();
  // One look at every loop thread, at `now` (steady clock): warns about each that has been away
  // from its loop for the threshold, and again for each further whole second it stays away.
  // The first warning about a block reads the thread's stack for the line that blocked.
  // Tests call it with times of their own, without start().
  void check(std::chrono::steady_clock::time_point now);
  std::vector<loop_thread_report> report() const;
  std::chrono::milliseconds warn_after() const { return warn_after_; }

 private:
  struct watched_thread;
  static void came_back(loop_tracking::loop_thread_state& state, std::chrono::nanoseconds busy);
  void watchdog();
  void warn(const watched_thread& thread, std::uint64_t request_id, const std::string& text,
            const std::string& site) const;

  std::chrono::milliseconds warn_after_;
  std::function<void(const std::string&)> on_warning_;
  flight_recorder* recorder_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<watched_thread>> threads_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread watchdog_;
  std::thread symbols_;  // reads the debug information once, at start
};

}  // namespace asyncscope
