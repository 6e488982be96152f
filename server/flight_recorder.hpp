#pragma once
// The flight recorder: the last --record-seconds of what the server's threads did. Every handler
// run of every request on the loop and pool threads (each thread writes its own ring, without
// a lock: loop_tracking.hpp), every finished request's ready, first-run and done times, and every
// watchdog warning with the line that blocked. GET /trace turns a copy into Chrome trace-event
// JSON (trace_json.hpp); waited_behind.hpp reads the long runs to name who held a thread.
//
// Its bounds, whichever comes first: --record-seconds (default 60), and per loop thread 131,072
// runs (4 MiB) plus 4,096 runs of 1 ms or more (128 KiB), per pool thread 2,048 runs (64 KiB)
// plus 512 of 1 ms or more (16 KiB); 65,536 finished requests (2.5 MiB); 1,024 warnings. A run
// takes 32 bytes. A ring hands out all but the slot it will write next.

#include "request_timing.hpp"
#include "run_log.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace asyncscope {

using loop_tracking::handler_run;

// A request's three instants on the steady clock (ns).
struct finished_request {
  std::uint64_t id = 0;
  const char* endpoint = nullptr;
  std::int64_t ready_ns = 0;
  std::int64_t first_run_ns = 0;
  std::int64_t done_ns = 0;  // its answer written (or the connection lost)
};

struct recorded_warning {
  std::int64_t at_ns = 0;
  std::string thread{};  // the blocked loop thread
  std::uint64_t request_id = 0;
  std::string text{};  // as logged, without "WARN "
};

// One thread's runs within the recording.
struct thread_recording {
  std::string thread{};
  bool loop_thread = false;
  std::vector<handler_run> runs{};
};

// A copy of the recorder's contents from `from_ns` to `to_ns` (steady clock).
struct recording {
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
  std::vector<thread_recording> threads{};
  std::vector<finished_request> requests{};
  std::vector<recorded_warning> warnings{};
  std::map<std::uint64_t, std::string> blocking_sites{};  // request id -> where it blocked
};

class flight_recorder {
 public:
  static constexpr std::size_t loop_thread_runs = 1 << 17;
  static constexpr std::size_t pool_thread_runs = 1 << 11;
  static constexpr std::size_t long_runs_per_loop_thread = 1 << 12;
  static constexpr std::size_t long_runs_per_pool_thread = 1 << 9;
  static constexpr std::size_t most_requests = 1 << 16;
  static constexpr std::size_t most_warnings = 1024;
  static constexpr std::size_t most_blocking_sites = 4096;

  explicit flight_recorder(std::chrono::seconds keep) : keep_(keep) {}
  flight_recorder(const flight_recorder&) = delete;
  flight_recorder& operator=(const flight_recorder&) = delete;

  std::chrono::seconds keep() const { return keep_; }

  // Called on each loop and pool thread before it runs handlers: from then on its runs count for
  // their requests and are recorded.
  void record_this_thread(const std::string& name, bool loop_thread);

  void request_done(const loop_tracking::request_timing& request, std::int64_t done_ns);
  void warning(recorded_warning warning, const std::string& blocking_site);

  // The runs of `thread` (a name record_this_thread gave out) of 1 ms or more that overlap
  // [from_ns, to_ns].
  std::vector<handler_run> long_runs(const char* thread, std::int64_t from_ns,
                                     std::int64_t to_ns) const;
  // Where request `id` blocked its thread, if the watchdog caught it; else empty.
  std::string blocking_site_of(std::uint64_t id) const;

  // What happened in the last `seconds` (at most keep()), up to now.
  recording recorded(double seconds) const;

 private:
  struct recorded_thread {
    std::string name;
    bool loop_thread = false;
    std::unique_ptr<loop_tracking::run_log> runs;
    std::unique_ptr<loop_tracking::run_log> long_runs;
  };

  const std::chrono::seconds keep_;
  mutable std::mutex mutex_;
  std::deque<recorded_thread> threads_;     // a deque: names and logs never move
  std::vector<finished_request> requests_;  // a ring of most_requests
  std::size_t requests_written_ = 0;
  std::deque<recorded_warning> warnings_;
  std::map<std::uint64_t, std::string> blocking_sites_;
};

}  // namespace asyncscope
