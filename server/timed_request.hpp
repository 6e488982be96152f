#pragma once
// One request's clock, from the HTTP layer's side: started when the session has read the
// request, stopped when its answer is written. While it lives, the request is the thread's
// current one (so the handler tracking hooks charge its runs to it), GET /requests lists it, and
// its lesson answer can read how its time split so far.

#include "endpoint_result.hpp"
#include "loop_tracking.hpp"
#include "server_state.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace asyncscope {

class timed_request {
 public:
  // `ready_ns` (steady clock): when the request was ready to run, its connection accepted (a
  // first request) or its first bytes read (a later one on a kept-alive connection).
  timed_request(std::uint64_t id, const char* endpoint, std::int64_t ready_ns,
                server_state& server);
  ~timed_request();
  timed_request(const timed_request&) = delete;
  timed_request& operator=(const timed_request&) = delete;

 private:
  server_state& server_;
  std::shared_ptr<loop_tracking::request_timing> timing_;
};

// How the current request's time split so far, and who it waited behind; none when --timing is
// off or the thread works for no request. For the lesson's JSON answer.
struct timing_so_far {
  time_split split;
  std::vector<wait_cause> waited_behind;
};
std::optional<timing_so_far> current_request_timing(const server_state& server);

// The log line after a lesson request's "done": "timing: queued 0.803 s, busy 0.201 s, waiting
// 0 s, 0 resumes on loop-0; waited behind #1 (/async-wrong) 201 ms in async_wrong (...), ...".
std::string timing_text(const timing_so_far& timing);

}  // namespace asyncscope
