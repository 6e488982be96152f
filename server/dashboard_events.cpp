#include "dashboard_events.hpp"

#include "json_text.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <iterator>
#include <map>

namespace asyncscope {

namespace json = boost::json;

namespace {

// One server-sent event: "event: io\ndata: {...}\n\n".
std::string sse(std::string_view name, const json::value& data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, to_json_text(data));
}

}  // namespace

namespace {

std::uint64_t answered_so_far(const metrics_snapshot& figures) {
  std::uint64_t answered = 0;
  for (const auto& [key, count] : figures.requests) answered += count;
  return answered;
}

}  // namespace

std::string hello_event(const metrics_snapshot& figures, std::chrono::milliseconds block_warn,
                        double history_seconds, who_fires fires, bool timing) {
  json::array loop_threads;
  for (const auto& loop : figures.loops) loop_threads.push_back(json::string(loop.thread));
  // retry: a dropped page (it fell behind, or the server restarted) reconnects after 1 s.
  return "retry: 1000\n" +
         sse("hello", {{"pid", getpid()},
                       {"loop_threads", std::move(loop_threads)},
                       {"pool_threads", figures.pool_threads},
                       {"block_warn_ms", block_warn.count()},
                       {"history_seconds", history_seconds},
                       {"fire", fires == who_fires::teacher ? "teacher" : "anyone"},
                       {"timing", timing},
                       {"now", round_to_microseconds(unix_seconds_now())}});
}

std::string feed_events(std::span<const feed_event> events) {
  // Thousands of these a second under load, so io events are written straight into the text
  // (their strings, each thread's and endpoint's name, quoted once per call).
  std::map<std::string_view, std::string> quoted;
  const auto quote = [&quoted](std::string_view name) -> const std::string& {
    auto [at, added] = quoted.try_emplace(name);
    if (added) at->second = to_json_text(json::string(name));
    return at->second;
  };
  std::string text;
  text.reserve(events.size() * 140);
  for (const auto& e : events) {
    if (e.what == feed_event::kind::warning) {
      text += sse("warning", {{"text", e.text}, {"at", round_to_microseconds(e.at)}});
      continue;
    }
    fmt::format_to(std::back_inserter(text),
                   "event: io\ndata: {{\"phase\": \"{}\", \"id\": {}, \"endpoint\": {}, "
                   "\"thread\": {}, \"at\": {}}}\n\n",
                   e.what == feed_event::kind::io_started ? "start" : "finish", e.request_id,
                   quote(e.endpoint), quote(e.thread), decimal_text(round_to_microseconds(e.at)));
  }
  return text;
}

std::string batch_event(std::string_view endpoint, int count, const metrics_snapshot& figures) {
  return sse("batch", {{"endpoint", endpoint},
                       {"count", count},
                       {"after_id", figures.last_request_id},
                       {"answered_before", answered_so_far(figures) + figures.being_answered},
                       {"at", round_to_microseconds(unix_seconds_now())}});
}

std::string status_event(const metrics_snapshot& figures) {
  json::array loops;
  for (const auto& loop : figures.loops) {
    loops.push_back({{"thread", loop.thread},
                     {"blocked_now", round_to_microseconds(loop.blocked_now)},
                     {"blocked_by", loop.blocked_by},
                     {"blocked_total", round_to_microseconds(loop.blocked_total)}});
  }
  return sse("status",
             {{"at", round_to_microseconds(unix_seconds_now())},
              {"in_flight", figures.in_flight},
              {"requests_total", answered_so_far(figures)},
              {"being_answered", figures.being_answered},
              {"last_request_id", figures.last_request_id},
              {"connections_unread", figures.connections_unread},
              {"accept_queue",
               figures.accept_queue < 0 ? json::value(nullptr) : json::value(figures.accept_queue)},
              {"pool",
               {{"busy", figures.pool_busy},
                {"queued", figures.pool_queued},
                {"threads", figures.pool_threads}}},
              {"loops", std::move(loops)}});
}

std::string timing_events(std::span<const timing_report> reports) {
  std::string text;
  for (const auto& r : reports) {
    text += sse("timing", {{"id", r.request_id},
                           {"endpoint", r.endpoint},
                           {"at", round_to_microseconds(r.at)},
                           {"timing", json::value_from(r.split)},
                           {"waited_behind", json::value_from(r.waited_behind)}});
  }
  return text;
}

std::string requests_event(json::object requests, std::size_t total) {
  requests["total"] = total;
  requests["at"] = round_to_microseconds(unix_seconds_now());
  return sse("requests", requests);
}

std::string live_event() {
  return sse("live", json::object{});
}

bool any_loop_blocked(const metrics_snapshot& figures) {
  return std::any_of(figures.loops.begin(), figures.loops.end(),
                     [](const auto& loop) { return loop.blocked_now > 0; });
}

}  // namespace asyncscope
