#pragma once
// Bookkeeping for the lesson handlers, kept out of their way: when and on which thread a
// request's simulated I/O ran, and the timer's duration type.

#include "endpoint_result.hpp"
#include "lesson.hpp"
#include "logging.hpp"
#include "seconds.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>

namespace asyncscope {

// Started where a handler starts its simulated I/O; finish() builds the response body.
class io_stopwatch {
 public:
  explicit io_stopwatch(const request_info& req) : req_(req) {
    tell_feed(feed_event::kind::io_started, started_at_);
  }

  double started_at() const { return started_at_; }

  endpoint_result finish(std::string message) const {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    const double finished_at = unix_seconds_now();
    tell_feed(feed_event::kind::io_finished, finished_at);
    return {.message = std::move(message),
            .endpoint = std::string(req_.endpoint),
            .request_id = req_.id,
            .pid = this_process_id(),
            .thread_id = thread_id_,
            .thread_name = thread_name_,
            .sleep = req_.sleep.count(),
            .started_at = started_at_,
            .finished_at = finished_at,
            .duration = elapsed.count()};
  }

 private:
  // The dashboard draws a bar on this thread's lane from start to finish.
  void tell_feed(feed_event::kind what, double at) const {
    if (req_.feed == nullptr) return;
    req_.feed->add({.what = what,
                    .request_id = req_.id,
                    .endpoint = std::string(req_.endpoint),
                    .thread = thread_name_,
                    .at = at});
  }

  const request_info& req_;
  double started_at_ = unix_seconds_now();
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  long thread_id_ = this_thread_os_id();
  std::string thread_name_ = this_thread_name();
};

// A sleep in (fractional) seconds, in the duration type a steady_timer counts in.
inline boost::asio::steady_timer::duration timer_duration(std::chrono::duration<double> seconds) {
  return std::chrono::duration_cast<boost::asio::steady_timer::duration>(seconds);
}

}  // namespace asyncscope
