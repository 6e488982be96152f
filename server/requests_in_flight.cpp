#include "requests_in_flight.hpp"

#include "blocking_site.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <limits>

namespace asyncscope {

namespace json = boost::json;

namespace {

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return round_to_microseconds(static_cast<double>(to_ns - from_ns) / 1e9);
}

request_in_flight describe(const loop_tracking::request_timing& r, std::int64_t now_ns) {
  request_in_flight out{.id = r.id,
                        .endpoint = r.endpoint ? r.endpoint : "",
                        .age = seconds_between(r.ready_ns, now_ns),
                        .busy = seconds_between(0, r.busy_ns()),
                        .resumes = std::max(0, r.runs() - 1)};
  for (const char* thread : r.threads()) out.threads.emplace_back(thread);
  if (const char* thread = r.running_on()) {
    out.state = "running";
    out.thread = thread;
    return out;
  }
  if (const auto ready = r.resumable_since(); ready != 0 && ready <= now_ns) {
    out.state = "queued";
    out.since = seconds_between(ready, now_ns);
    return out;
  }
  out.state = "suspended";
  if (const auto at = r.waiting_at(); at.file != nullptr) {
    out.waiting_at = fmt::format("{}:{}", project_path(at.file), at.line);
    out.function = coroutine_name(at.function ? at.function : "");
  }
  return out;
}

}  // namespace

void requests_in_flight::add(std::shared_ptr<loop_tracking::request_timing> request) {
  const std::lock_guard lock{mutex_};
  const auto* key = request.get();
  requests_.emplace(key, std::move(request));
}

void requests_in_flight::remove(const loop_tracking::request_timing* request) {
  const std::lock_guard lock{mutex_};
  requests_.erase(request);
}

std::vector<request_in_flight> requests_in_flight::list(std::int64_t now_ns) const {
  return oldest(now_ns, std::numeric_limits<std::size_t>::max()).oldest;
}

requests_in_flight::oldest_few requests_in_flight::oldest(std::int64_t now_ns,
                                                          std::size_t most) const {
  std::vector<std::shared_ptr<loop_tracking::request_timing>> copied;
  {
    const std::lock_guard lock{mutex_};
    copied.reserve(requests_.size());
    for (const auto& [key, request] : requests_) copied.push_back(request);
  }
  const auto shown = std::min(most, copied.size());
  std::partial_sort(copied.begin(), copied.begin() + static_cast<std::ptrdiff_t>(shown),
                    copied.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  oldest_few few{.total = copied.size()};
  few.oldest.reserve(shown);
  for (std::size_t i = 0; i < shown; ++i) few.oldest.push_back(describe(*copied[i], now_ns));
  return few;
}

std::string coroutine_name(std::string_view function) {
  std::string name(function.substr(0, function.find('(')));
  if (const auto space = name.rfind(' '); space != std::string::npos) name.erase(0, space + 1);
  if (const auto last = name.rfind("::"); last != std::string::npos) name.erase(0, last + 2);
  return name;
}

json::object requests_json(const std::vector<request_in_flight>& requests,
                           int connections_not_started) {
  json::array listed;
  for (const auto& r : requests) {
    json::object o{{"request_id", r.id},
                   {"endpoint", r.endpoint},
                   {"state", r.state},
                   {"age", r.age},
                   {"busy", r.busy},
                   {"resumes", r.resumes},
                   {"threads", json::value_from(r.threads)}};
    if (r.state == "running") o["thread"] = r.thread;
    if (r.state == "queued") o["since"] = r.since;
    if (r.state == "suspended") {
      o["waiting_at"] = r.waiting_at.empty() ? json::value() : json::value(r.waiting_at);
      o["function"] = r.function.empty() ? json::value() : json::value(r.function);
    }
    listed.push_back(std::move(o));
  }
  return {{"requests", std::move(listed)}, {"connections_not_started", connections_not_started}};
}

}  // namespace asyncscope
