#include "flight_recorder.hpp"

#include "loop_tracking.hpp"

#include <algorithm>

namespace asyncscope {

void flight_recorder::record_this_thread(const std::string& name, bool loop_thread) {
  recorded_thread* thread = nullptr;
  {
    const std::lock_guard lock{mutex_};
    thread = &threads_.emplace_back();
    thread->name = name;
    thread->loop_thread = loop_thread;
  }
  // The rings are allocated here, on their own thread, without the lock: forty pool threads
  // start at once.
  const char* label = thread->name.c_str();
  auto runs = std::make_unique<loop_tracking::run_log>(
      label, loop_thread ? loop_thread_runs : pool_thread_runs);
  auto long_runs = std::make_unique<loop_tracking::run_log>(
      label, loop_thread ? long_runs_per_loop_thread : long_runs_per_pool_thread);
  loop_tracking::count_runs_on_this_thread(label, runs.get(), long_runs.get());
  const std::lock_guard lock{mutex_};
  thread->runs = std::move(runs);
  thread->long_runs = std::move(long_runs);
}

void flight_recorder::request_done(const loop_tracking::request_timing& request,
                                   std::int64_t done_ns) {
  const finished_request done{request.id, request.endpoint, request.ready_ns,
                              request.first_run_ns(), done_ns};
  const std::lock_guard lock{mutex_};
  if (requests_.size() < most_requests) {
    requests_.push_back(done);
  } else {
    requests_[requests_written_ % most_requests] = done;
  }
  ++requests_written_;
}

void flight_recorder::warning(recorded_warning warning, const std::string& blocking_site) {
  const std::lock_guard lock{mutex_};
  if (!blocking_site.empty() && warning.request_id != 0) {
    blocking_sites_.try_emplace(warning.request_id, blocking_site);
    if (blocking_sites_.size() > most_blocking_sites)
      blocking_sites_.erase(blocking_sites_.begin());
  }
  warnings_.push_back(std::move(warning));
  if (warnings_.size() > most_warnings) warnings_.pop_front();
}

std::vector<handler_run> flight_recorder::long_runs(const char* thread, std::int64_t from_ns,
                                                    std::int64_t to_ns) const {
  const loop_tracking::run_log* log = nullptr;
  {
    const std::lock_guard lock{mutex_};
    for (const auto& t : threads_) {
      if (t.name.c_str() == thread) log = t.long_runs.get();
    }
    if (log == nullptr) return {};
  }
  return log->runs_between(from_ns, to_ns);
}

std::string flight_recorder::blocking_site_of(std::uint64_t id) const {
  const std::lock_guard lock{mutex_};
  const auto found = blocking_sites_.find(id);
  return found == blocking_sites_.end() ? std::string{} : found->second;
}

recording flight_recorder::recorded(double seconds) const {
  const auto now = loop_tracking::steady_now_ns();
  const auto kept = std::chrono::duration<double>(keep_).count();
  const auto span_ns = static_cast<std::int64_t>(std::clamp(seconds, 0.0, kept) * 1e9);
  recording r{.from_ns = now - span_ns, .to_ns = now};
  std::vector<std::pair<std::string, const loop_tracking::run_log*>> logs;
  {
    const std::lock_guard lock{mutex_};
    for (const auto& t : threads_) {
      if (!t.runs) continue;  // its thread is still starting
      r.threads.push_back({.thread = t.name, .loop_thread = t.loop_thread});
      logs.emplace_back(t.name, t.runs.get());
    }
    for (const auto& request : requests_) {
      if (request.done_ns >= r.from_ns) r.requests.push_back(request);
    }
    for (const auto& warning : warnings_) {
      if (warning.at_ns >= r.from_ns) r.warnings.push_back(warning);
    }
    r.blocking_sites = blocking_sites_;
  }
  // The rings are copied without the lock: their threads keep writing meanwhile.
  for (std::size_t i = 0; i < logs.size(); ++i) {
    r.threads[i].runs = logs[i].second->runs_between(r.from_ns, r.to_ns);
  }
  std::sort(r.requests.begin(), r.requests.end(),
            [](const auto& a, const auto& b) { return a.ready_ns < b.ready_ns; });
  return r;
}

}  // namespace asyncscope
