#pragma once
// Bookkeeping for the lesson handlers, kept out of their way: when and on which thread a
// request's simulated I/O ran, and the timer's duration type.

#include "endpoint_result.hpp"
#include "lesson.hpp"
#include "logging.hpp"
#include "seconds.hpp"

#include <unistd.h>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>

namespace asyncscope {

// Started where a handler starts its simulated I/O; finish() builds the response body.
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

// A sleep in (fractional) seconds, in the duration type a steady_timer counts in.
inline boost::asio::steady_timer::duration timer_duration(std::chrono::duration<double> seconds) {
  return std::chrono::duration_cast<boost::asio::steady_timer::duration>(seconds);
}

}  // namespace asyncscope
