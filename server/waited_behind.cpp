#include "waited_behind.hpp"

#include "loop_tracking.hpp"

#include <algorithm>
#include <map>

namespace asyncscope {

std::vector<wait_cause> rank_holders(std::uint64_t self, const std::vector<held_interval>& held,
                                     std::size_t most) {
  std::map<std::uint64_t, wait_cause> by_request;
  for (const auto& [wait, runs] : held) {
    for (const auto& run : runs) {
      if (run.request_id == self || run.request_id == 0) continue;
      const auto overlap = std::min(run.end_ns, wait.to_ns) - std::max(run.start_ns, wait.from_ns);
      if (overlap <= 0) continue;
      auto& cause = by_request[run.request_id];
      cause.request_id = run.request_id;
      if (run.endpoint) cause.endpoint = run.endpoint;
      cause.seconds += static_cast<double>(overlap) / 1e9;
    }
  }
  std::vector<wait_cause> ranked;
  for (auto& [id, cause] : by_request) ranked.push_back(std::move(cause));
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
  if (ranked.size() > most) ranked.resize(most);
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
