#pragma once
// GET /requests: the requests the server is answering right now, and what each one is doing:
// running on a thread, suspended at a co_await (its line, from Asio's handler tracking), or
// ready to resume but waiting for its thread. Any thread may read it; the dashboard can too.

#include "request_timing.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace asyncscope {

// One request in flight, as GET /requests shows it.
struct request_in_flight {
  std::uint64_t id = 0;
  std::string endpoint{};
  std::string state{};       // "running", "suspended" or "queued" (ready, waiting for its thread)
  std::string thread{};      // for "running": the thread it runs on
  double age = 0;            // seconds since it was ready (its connection accepted)
  double since = 0;          // "queued": seconds it has been ready to resume
  std::string waiting_at{};  // "suspended": "server/lesson.cpp:54", when the co_await is known
  std::string function{};    // "suspended": the coroutine that awaits there, "async_depth_2"
  double busy = 0;
  int resumes = 0;
  std::vector<std::string> threads{};
};

class requests_in_flight {
 public:
  void add(std::shared_ptr<loop_tracking::request_timing> request);
  void remove(const loop_tracking::request_timing* request);

  // Every request in flight, as it is at `now_ns` (steady clock), oldest first.
  std::vector<request_in_flight> list(std::int64_t now_ns) const;

  // The `most` oldest of them, and how many there are in all: what the dashboard's table shows,
  // without describing three thousand requests to show twenty.
  struct oldest_few {
    std::vector<request_in_flight> oldest;
    std::size_t total = 0;
  };
  oldest_few oldest(std::int64_t now_ns, std::size_t most) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const loop_tracking::request_timing*,
                     std::shared_ptr<loop_tracking::request_timing>>
      requests_;
};

// The coroutine's name from std::source_location's function name: "asio::awaitable<void>
// asyncscope::{anonymous}::async_depth_2(const asyncscope::request_info&)" -> "async_depth_2".
std::string coroutine_name(std::string_view function);

// GET /requests's body: {"requests": [...], "connections_not_started": N}.
boost::json::object requests_json(const std::vector<request_in_flight>& requests,
                                  int connections_not_started);

}  // namespace asyncscope
