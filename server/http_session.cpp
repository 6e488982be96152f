#include "http_session.hpp"

#include "awaitable_result.hpp"
#include "dashboard.hpp"
#include "dashboard_page.hpp"
#include "json_text.hpp"
#include "lesson.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <utility>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;

namespace {

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t body_limit = 64 * 1024;
constexpr auto read_timeout = std::chrono::seconds(10);
constexpr auto write_timeout = std::chrono::seconds(30);

using response = http::response<http::string_body>;

// A complete answer with the given body; the session sets the version and keep-alive.
response text_response(http::status status, std::string_view content_type, std::string body) {
  response res{status, 11};
  res.set(http::field::server, "asyncscope/" ASYNCSCOPE_VERSION);
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// Every answer of the lesson, success or error, is one JSON object.
response json_response(http::status status, const json::value& body) {
  return text_response(status, "application/json", to_json_text(body));
}

// {"error": ..., "detail": ...} with the route error's status (and Allow for a 405).
response error_response(const route_error& e) {
  auto res = json_response(e.status, json::value_from(error_body{e.error, e.detail}));
  if (e.status == http::status::method_not_allowed) {
    res.set(http::field::allow, e.path == "/fire" ? "POST" : "GET");
  }
  return res;
}

// The answer to a request the parser gave up on; the connection closes after it.
response unreadable_request_response(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    return error_response({http::status::request_header_fields_too_large, "headers_too_large",
                           fmt::format("request headers exceed {} bytes", header_limit)});
  }
  if (ec == http::error::body_limit) {
    return error_response({http::status::payload_too_large, "body_too_large",
                           fmt::format("request body exceeds {} bytes", body_limit)});
  }
  return error_response({http::status::bad_request, "bad_request",
                         fmt::format("could not read the HTTP request: {}", ec.message())});
}

// The pages that watch the server: health, metrics, the dashboard page.
response watch_response(watch_route which, const server_state& server) {
  switch (which) {
    case watch_route::metrics:
      return text_response(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                           prometheus_text(current_metrics(server)));
    case watch_route::dashboard:
      return text_response(http::status::ok, "text/html; charset=utf-8",
                           std::string(dashboard_page()));
    case watch_route::health:
    case watch_route::events:  // only reaches here when the dashboard is not running
      break;
  }
  return json_response(http::status::ok, {{"status", "ok"}});
}

// Maps one routed request to its response.
awaitable<response> handle_request(const http::request<http::string_body>& req, const route& found,
                                   std::uint64_t request_id, server_state& server) {
  if (const auto* e = std::get_if<route_error>(&found)) {
    spdlog::info("{} {} #{} -> {} {}", std::string_view(req.method_string()),
                 std::string_view(req.target()), request_id, static_cast<int>(e->status), e->error);
    co_return error_response(*e);
  }
  if (const auto* which = std::get_if<watch_route>(&found)) {
    co_return watch_response(*which, server);
  }
  if (const auto* fire = std::get_if<fire_route>(&found)) {
    if (server.live) server.live->fire(*fire);
    spdlog::info("POST /fire #{}: {} x {}", request_id, fire->count, lesson_target(fire->lesson));
    co_return json_response(http::status::accepted,
                            {{"fired", fire->count}, {"endpoint", fire->lesson.path}});
  }
  const auto& lesson = std::get<lesson_route>(found);
  const request_info info{lesson.path, request_id, std::chrono::duration<double>(lesson.sleep),
                          &server.feed};
  const auto result = co_await run_lesson_endpoint(lesson.which, info, server.pool);
  co_return json_response(http::status::ok, json::value_from(result));
}

// Counts a request as in flight from the moment it has been read until its answer is sent, so
// that a graceful shutdown waits for it.
class in_flight_guard {
 public:
  explicit in_flight_guard(server_state& server) : server_(&server) {
    ++server_->requests_in_flight;
  }
  ~in_flight_guard() { --server_->requests_in_flight; }
  in_flight_guard(const in_flight_guard&) = delete;
  in_flight_guard& operator=(const in_flight_guard&) = delete;

 private:
  server_state* server_;
};

// Answers one request that has been read, counted in flight until the answer is written.
// Returns whether the connection stays open for another request.
awaitable<bool> answer(beast::tcp_stream& stream, const http::request<http::string_body>& req,
                       server_state& server) {
  const auto found = find_route(req.method(), req.target(), server.limits);
  const auto* which = std::get_if<watch_route>(&found);
  if (which && *which == watch_route::events && server.live) {
    stream.expires_never();
    server.live->adopt_event_stream(stream.release_socket());  // the dashboard thread's now
    co_return false;
  }
  const in_flight_guard in_flight{server};
  const auto read_at = std::chrono::steady_clock::now();
  const auto request_id = ++server.last_request_id;
  loop_tracking::set_current_request({request_id, route_label(found)});  // for the watchdog
  auto res = co_await handle_request(req, found, request_id, server);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - read_at;
  server.metrics.record(route_label(found), res.result_int(), took.count());
  res.version(req.version());  // an HTTP/1.0 client gets an HTTP/1.0 answer
  res.keep_alive(req.keep_alive() && !server.draining);
  stream.expires_after(write_timeout);
  const auto [write_error, _] = co_await http::async_write(stream, res, as_result);
  loop_tracking::set_current_request({});
  co_return !write_error && res.keep_alive();
}

// One connection: read a request, answer it, and again while the client keeps it alive.
awaitable<void> http_session(beast::tcp_stream stream, server_state& server) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    stream.expires_after(read_timeout);
    const auto [read_error, _] = co_await http::async_read(stream, buffer, parser, as_result);
    if (read_error) {
      if (parser.got_some() && read_error != beast::error::timeout) {
        stream.expires_after(write_timeout);
        auto res = unreadable_request_response(read_error);
        res.keep_alive(false);
        spdlog::info("unreadable request #{} -> {}: {}", ++server.last_request_id, res.result_int(),
                     read_error.message());
        co_await http::async_write(stream, res, as_result);
      }
      co_return;
    }
    if (!co_await answer(stream, parser.get(), server)) co_return;
  }
}

// Where a connection's coroutine runs. With several loop threads it needs a strand, so that its
// reads, writes and timeouts never run at once; with one thread that is given for free.
asio::any_io_executor connection_executor(const server_state& server) {
  if (server.loop_threads == 1) return server.event_loop;
  return asio::make_strand(server.event_loop);
}

// Gives an accepted connection its own coroutine.
void start_session(tcp::socket socket, server_state& server) {
  const auto executor = socket.get_executor();
  asio::co_spawn(executor, http_session(beast::tcp_stream(std::move(socket)), server),
                 asio::detached);
}

}  // namespace

awaitable<void> listener(tcp::acceptor& acceptor, server_state& server) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(connection_executor(server), as_result);
    if (!ec) {
      start_session(std::move(socket), server);
      continue;
    }
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    spdlog::warn("accept failed: {}", ec.message());  // e.g. out of file descriptors:
    asio::steady_timer pause{acceptor.get_executor(), std::chrono::milliseconds(50)};
    co_await pause.async_wait(as_result);  // wait a moment instead of spinning
  }
}

awaitable<void> stop_and_drain(tcp::acceptor& acceptor, server_state& server) {
  acceptor.non_blocking(true);
  for (;;) {  // clients that connected while the loop was busy are taken in, then no more
    tcp::socket socket{connection_executor(server)};
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    if (ec) break;
    start_session(std::move(socket), server);
  }
  acceptor.close();
  asio::steady_timer tick{acceptor.get_executor()};
  do {  // each look comes after the loop has had a turn to read what already arrived
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(as_result);
  } while (server.requests_in_flight > 0);
}

}  // namespace asyncscope
