#include "dispatch.hpp"

#include "dashboard_address.hpp"
#include "lesson.hpp"
#include "todo_http.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

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
  const auto result = co_await run_lesson_endpoint(lesson.which, info, server.pool);
  co_return json_response(http::status::ok, json::value_from(result));
}

awaitable<http_response> respond(const http_request& req, const route& found,
                                 std::uint64_t request_id, server_state& server) {
  if (server.config.test_routes && req.target() == "/test/throw") {
    throw std::runtime_error("thrown on purpose by GET /test/throw (--test-routes)");
  }
  if (server.todo && !todo_path_of(req.target()).empty()) {
    co_return co_await answer_todo(req, request_id, *server.todo);
  }
  if (const auto* e = std::get_if<route_error>(&found)) {
    spdlog::info("{} {} #{} -> {} {}", std::string_view(req.method_string()),
                 std::string_view(req.target()), request_id, static_cast<int>(e->status), e->error);
    co_return error_response(*e);
  }
  if (const auto* which = std::get_if<watch_route>(&found)) {
    co_return watch_response(*which, req, server);
  }
  if (std::holds_alternative<fire_route>(found)) {
    co_return error_response(
        {http::status::not_found, "not_found",
         fmt::format("POST /fire is served by the dashboard, at {}fire",
                     dashboard_url(req[http::field::host], server.config.dashboard_port))});
  }
  co_return co_await lesson_response(std::get<lesson_route>(found), request_id, server);
}

}  // namespace

const char* request_label(const http_request& req, const route& found) {
  const auto todo_path = todo_path_of(req.target());  // one of todo_routes.hpp's constants
  return todo_path.empty() ? route_label(found) : todo_path.data();
}

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
