#include "waited_behind.hpp"

#include "loop_tracking.hpp"

#include <algorithm>

namespace asyncscope {

// A flat list sorted by request, not a map: a request queued behind a long burst overlaps
// thousands of runs (up to the 4,096 a loop thread's ring keeps), and this runs for every answer.
std::vector<wait_cause> rank_holders(std::uint64_t self, const std::vector<held_interval>& held,
                                     std::size_t most) {
  struct overlap {
    std::uint64_t request_id;
    const char* endpoint;
    std::int64_t ns;
  };
  std::vector<overlap> overlaps;
  for (const auto& [wait, runs] : held) {
    for (const auto& run : runs) {
      if (run.request_id == self || run.request_id == 0) continue;
      const auto ns = std::min(run.end_ns, wait.to_ns) - std::max(run.start_ns, wait.from_ns);
      if (ns > 0) overlaps.push_back({run.request_id, run.endpoint, ns});
    }
  }
  // One entry per request (the first of its runs keeps the others' sum), in the order of ids.
  std::stable_sort(overlaps.begin(), overlaps.end(),
                   [](const auto& a, const auto& b) { return a.request_id < b.request_id; });
  std::vector<overlap> per_request;
  for (const auto& o : overlaps) {
    if (!per_request.empty() && per_request.back().request_id == o.request_id) {
      per_request.back().ns += o.ns;
      if (o.endpoint) per_request.back().endpoint = o.endpoint;
    } else {
      per_request.push_back(o);
    }
  }
  // Longest first; among equals, the earlier request.
  const auto kept = std::min(most, per_request.size());
  std::partial_sort(per_request.begin(), per_request.begin() + static_cast<std::ptrdiff_t>(kept),
                    per_request.end(), [](const auto& a, const auto& b) {
                      return a.ns != b.ns ? a.ns > b.ns : a.request_id < b.request_id;
                    });
  std::vector<wait_cause> ranked;
  for (std::size_t i = 0; i < kept; ++i) {
    const auto& o = per_request[i];
    ranked.push_back({.request_id = o.request_id,
                      .endpoint = o.endpoint ? o.endpoint : "",
                      .seconds = static_cast<double>(o.ns) / 1e9});
  }
  return ranked;
}

std::vector<wait_cause> waited_behind(const loop_tracking::request_timing& request,
                                      const flight_recorder& recorder, std::size_t most) {
  std::vector<loop_tracking::ready_wait> waits = request.stalls();
  const auto threads = request.threads();
  const auto first_run = request.first_run_ns();
  if (!threads.empty() && first_run - request.ready_ns >= loop_tracking::long_run_ns) {
    waits.push_back({request.ready_ns, first_run, threads.front()});
  }
  std::vector<held_interval> held;
  for (const auto& wait : waits) {
    if (wait.thread == nullptr) continue;
    held.push_back({wait, recorder.long_runs(wait.thread, wait.from_ns, wait.to_ns)});
  }
  auto ranked = rank_holders(request.id, held, most);
  for (auto& cause : ranked) cause.location = recorder.blocking_site_of(cause.request_id);
  return ranked;
}

}  // namespace asyncscope
