#include "dashboard_events.hpp"

#include "json_text.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>

namespace asyncscope {

namespace json = boost::json;

namespace {

// One server-sent event: "event: io\ndata: {...}\n\n".
std::string sse(std::string_view name, const json::value& data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, to_json_text(data));
}

}  // namespace

std::string hello_event(const metrics_snapshot& figures, std::chrono::milliseconds block_warn,
                        double history_seconds) {
  json::array loop_threads;
  for (const auto& loop : figures.loops) loop_threads.push_back(json::string(loop.thread));
  // retry: a dropped page (it fell behind, or the server restarted) reconnects after 1 s.
  return "retry: 1000\n" + sse("hello", {{"pid", getpid()},
                                         {"loop_threads", std::move(loop_threads)},
                                         {"pool_threads", figures.pool_threads},
                                         {"block_warn_ms", block_warn.count()},
                                         {"history_seconds", history_seconds},
                                         {"now", round_to_microseconds(unix_seconds_now())}});
}

std::string feed_events(const std::vector<feed_event>& events) {
  std::string text;
  for (const auto& e : events) {
    if (e.what == feed_event::kind::warning) {
      text += sse("warning", {{"text", e.text}, {"at", round_to_microseconds(e.at)}});
      continue;
    }
    text += sse("io", {{"phase", e.what == feed_event::kind::io_started ? "start" : "finish"},
                       {"id", e.request_id},
                       {"endpoint", e.endpoint},
                       {"thread", e.thread},
                       {"at", round_to_microseconds(e.at)}});
  }
  return text;
}

std::string status_event(const metrics_snapshot& figures) {
  std::uint64_t requests_total = 0;
  for (const auto& [key, count] : figures.requests) requests_total += count;
  json::array loops;
  for (const auto& loop : figures.loops) {
    loops.push_back({{"thread", loop.thread},
                     {"blocked_now", round_to_microseconds(loop.blocked_now)},
                     {"blocked_by", loop.blocked_by},
                     {"blocked_total", round_to_microseconds(loop.blocked_total)}});
  }
  return sse("status", {{"at", round_to_microseconds(unix_seconds_now())},
                        {"in_flight", figures.in_flight},
                        {"requests_total", requests_total},
                        {"pool",
                         {{"busy", figures.pool_busy},
                          {"queued", figures.pool_queued},
                          {"threads", figures.pool_threads}}},
                        {"loops", std::move(loops)}});
}

std::string live_event() {
  return sse("live", json::object{});
}

bool any_loop_blocked(const metrics_snapshot& figures) {
  return std::any_of(figures.loops.begin(), figures.loops.end(),
                     [](const auto& loop) { return loop.blocked_now > 0; });
}

}  // namespace asyncscope
