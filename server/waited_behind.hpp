#pragma once
// Who made a request wait: for each time it was ready to run but its thread was held (queued
// before its first run, or ready to resume while another request ran), the other requests whose
// runs held that thread, and for how long. Only runs of 1 ms or more are named; the loop's
// ordinary turn-taking between short runs is not a cause worth naming.

#include "endpoint_result.hpp"
#include "flight_recorder.hpp"
#include "request_timing.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace asyncscope {

// One time the request was ready and did not run, with the long runs on its thread meanwhile.
struct held_interval {
  loop_tracking::ready_wait wait;
  std::vector<handler_run> runs;
};

// Pure: the requests other than `self` whose runs overlap the intervals, with the seconds of
// overlap summed per request, longest first, at most `most` of them. No locations yet.
std::vector<wait_cause> rank_holders(std::uint64_t self, const std::vector<held_interval>& held,
                                     std::size_t most);

// For `request`, from the recorder's runs, with the line each one blocked at when known. Its
// queued interval counts up to its first run; `most` are kept.
std::vector<wait_cause> waited_behind(const loop_tracking::request_timing& request,
                                      const flight_recorder& recorder, std::size_t most = 5);

}  // namespace asyncscope
