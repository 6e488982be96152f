#include "dispatch.hpp"

#include "dashboard_address.hpp"
#include "lesson.hpp"
#include "seconds.hpp"
#include "timed_request.hpp"
#include "todo_http.hpp"
#include "trace_json.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace asyncscope {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;

namespace {

// The pages that watch the server; the dashboard's own pages live on its port.
http_response watch_response(watch_route which, const http_request& req,
                             const server_state& server) {
  switch (which) {
    case watch_route::metrics:
      return text_response(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                           prometheus_text(current_metrics(server)));
    case watch_route::dashboard:
    case watch_route::events: {
      // The dashboard has its own port and thread, so it keeps working while this loop is
      // blocked: GET / and GET /events are sent there.
      const auto url = dashboard_url(req[http::field::host], server.config.dashboard_port);
      return redirect_response(url + (which == watch_route::events ? "events" : ""));
    }
    case watch_route::requests:
      return json_response(http::status::ok,
                           requests_json(server.requests.list(loop_tracking::steady_now_ns()),
                                         server.counters.sessions_not_started));
    case watch_route::trace:  // answered by trace_response
    case watch_route::health:
      break;
  }
  return json_response(http::status::ok, {{"status", "ok"}});
}

// The lesson's endpoints, unless the worker pool's queue is already full.
awaitable<http_response> lesson_response(const lesson_route& lesson, std::uint64_t request_id,
                                         server_state& server) {
  const auto max_queue = server.config.http.max_pool_queue;
  if (runs_on_worker_pool(lesson.which) && server.pool.full(max_queue)) {
    spdlog::info("{} #{} -> 503: {} jobs already wait for the worker pool (--max-pool-queue)",
                 lesson.path, request_id, server.pool.queued());
    co_return busy_response(
        "pool_queue_full",
        fmt::format("all {} worker pool threads are busy and {} jobs are waiting "
                    "(--max-pool-queue); try again shortly",
                    server.pool.size(), server.pool.queued()));
  }
  const request_info info{lesson.path, request_id, std::chrono::duration<double>(lesson.sleep),
                          &server.feed};
  auto result = co_await run_lesson_endpoint(lesson.which, info, server.pool);
  if (auto timing = current_request_timing(server)) {
    // Only built when it is logged: at --log-level warn (the benchmarks) it would be text for
    // nobody, on the loop, for every request.
    if (spdlog::should_log(spdlog::level::info)) spdlog::info("{} {}", info, timing_text(*timing));
    // The card a watching page shows for this request's bar; none is made for nobody.
    if (server.feed.wants_timing()) {
      server.feed.add_timing({.request_id = request_id,
                              .endpoint = std::string(lesson.path),
                              .at = unix_seconds_now(),
                              .split = timing->split,
                              .waited_behind = timing->waited_behind});
    }
    result.timing = std::move(timing->split);
    result.waited_behind = std::move(timing->waited_behind);
  }
  co_return text_response(http::status::ok, "application/json", to_json_text(result));
}

// The seconds GET /trace?seconds=S asks for: the whole recording when it does not say.
std::optional<double> trace_seconds(std::string_view target, double kept) {
  const auto url = boost::urls::parse_uri_reference(target);
  if (!url) return std::nullopt;
  const auto param = url->params().find("seconds");
  if (param == url->params().end()) return kept;
  const auto seconds = parse_seconds((*param).value);
  if (!seconds || *seconds <= 0) return std::nullopt;
  return std::min(*seconds, kept);
}

// GET /trace: built on the worker pool, since a minute of a busy server is megabytes of JSON
// that would otherwise hold the loop.
awaitable<http_response> trace_response(const http_request& req, server_state& server) {
  if (!server.config.timing) {
    co_return error_response(
        {http::status::not_found, "not_recording", "the flight recorder is off (--timing off)"});
  }
  const auto kept = std::chrono::duration<double>(server.recorder.keep()).count();
  const auto seconds = trace_seconds(req.target(), kept);
  if (!seconds) {
    co_return error_response(
        {http::status::bad_request, "bad_seconds",
         fmt::format("seconds must be a number of seconds above 0 (at most {} are kept: "
                     "--record-seconds)",
                     kept)});
  }
  auto text = co_await server.pool.run([&server, span = *seconds] {
    const auto recorded = server.recorder.recorded(span);
    const auto span_seconds = static_cast<double>(recorded.to_ns - recorded.from_ns) / 1e9;
    return trace_json(recorded, getpid(), unix_seconds_now() - span_seconds);
  });
  co_return text_response(http::status::ok, "application/json", std::move(text));
}

// An answer known at once, awaitable like the handlers' answers.
awaitable<http_response> answered(http_response res) {
  co_return res;
}

// The handler's answer, to be awaited by the caller. Not a coroutine itself: a lesson request,
// the one the server mostly serves, gets no frame of its own here (docs/results.md).
awaitable<http_response> respond(const http_request& req, const route& found,
                                 std::uint64_t request_id, server_state& server) {
  if (server.config.test_routes && req.target() == "/test/throw") {
    throw std::runtime_error("thrown on purpose by GET /test/throw (--test-routes)");
  }
  if (std::holds_alternative<todo_call>(found)) return answer_todo(req, request_id, *server.todo);
  if (const auto* e = std::get_if<route_error>(&found)) {
    spdlog::info("{} {} #{} -> {} {}", std::string_view(req.method_string()),
                 std::string_view(req.target()), request_id, static_cast<int>(e->status), e->error);
    return answered(error_response(*e));
  }
  if (const auto* which = std::get_if<watch_route>(&found)) {
    if (*which == watch_route::trace) return trace_response(req, server);
    return answered(watch_response(*which, req, server));
  }
  if (std::holds_alternative<fire_route>(found)) {
    return answered(error_response(
        {http::status::not_found, "not_found",
         fmt::format("POST /fire is served by the dashboard, at {}fire",
                     dashboard_url(req[http::field::host], server.config.dashboard_port))}));
  }
  return lesson_response(std::get<lesson_route>(found), request_id, server);
}

}  // namespace

awaitable<http_response> handle_request(const http_request& req, const route& found,
                                        std::uint64_t request_id, server_state& server) {
  try {
    co_return co_await respond(req, found, request_id, server);
  } catch (const std::exception& e) {
    spdlog::error("ERROR {} {} #{} failed: {}; answered 500", std::string_view(req.method_string()),
                  std::string_view(req.target()), request_id, e.what());
    co_return internal_error_response(request_id, e.what());
  }
}

}  // namespace asyncscope
