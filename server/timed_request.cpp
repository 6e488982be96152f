#include "timed_request.hpp"

#include "waited_behind.hpp"

#include <fmt/format.h>

namespace asyncscope {

namespace {

double seconds_of(std::int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

std::string milliseconds_text(double seconds) {
  return fmt::format("{:.0f} ms", seconds * 1000);
}

}  // namespace

timed_request::timed_request(std::uint64_t id, const char* endpoint, std::int64_t ready_ns,
                             server_state& server)
    : server_(server) {
  if (server.config.timing) {
    timing_ = std::make_shared<loop_tracking::request_timing>(id, endpoint, ready_ns);
    server.requests.add(timing_);
  }
  loop_tracking::set_current_request({id, endpoint, timing_});  // for the watchdog, too
}

timed_request::~timed_request() {
  loop_tracking::set_current_request({});  // ends its run on this thread
  if (!timing_) return;
  server_.requests.remove(timing_.get());
  server_.recorder.request_done(*timing_, loop_tracking::steady_now_ns());
}

std::optional<timing_so_far> current_request_timing(const server_state& server) {
  const auto& timing = loop_tracking::current_request.timing;
  if (!timing) return std::nullopt;
  const auto now = loop_tracking::steady_now_ns();
  const auto first_run = timing->first_run_ns();
  const auto total = seconds_of(now - timing->ready_ns);
  time_split split{.queued = seconds_of(first_run - timing->ready_ns),
                   .busy = seconds_of(timing->busy_ns() + loop_tracking::current_run_ns(now)),
                   .resumes = timing->runs()};  // the runs that ended; this one is the last
  split.waiting = std::max(0.0, total - split.queued - split.busy);
  int more = 0;
  for (const char* thread : timing->threads(&more)) split.threads.emplace_back(thread);
  if (more > 0) split.threads.push_back(fmt::format("{} more", more));
  return timing_so_far{split, waited_behind(*timing, server.recorder)};
}

std::string timing_text(const timing_so_far& timing) {
  const auto& t = timing.split;
  auto text = fmt::format("timing: queued {:.3f} s, busy {:.3f} s, waiting {:.3f} s, {} {} on {}",
                          t.queued, t.busy, t.waiting, t.resumes,
                          t.resumes == 1 ? "resume" : "resumes", fmt::join(t.threads, ", "));
  std::string sep = "; waited behind ";
  for (const auto& cause : timing.waited_behind) {
    text += fmt::format("{}#{} ({}) {}", sep, cause.request_id, cause.endpoint,
                        milliseconds_text(cause.seconds));
    if (!cause.location.empty()) text += " in " + cause.location;
    sep = ", ";
  }
  return text;
}

}  // namespace asyncscope
