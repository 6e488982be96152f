#include "http_session.hpp"

#include "awaitable_result.hpp"
#include "dashboard_address.hpp"
#include "json_text.hpp"
#include "lesson.hpp"
#include "seconds.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <utility>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

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

// 503 with Retry-After: the server is fine, but full; try again in a second.
response busy_response(std::string error, std::string detail) {
  auto res =
      error_response({http::status::service_unavailable, std::move(error), std::move(detail)});
  res.set(http::field::retry_after, "1");
  return res;
}

// The answer to a request the parser gave up on; the connection closes after it.
response unreadable_request_response(beast::error_code ec, const http_limits& limits) {
  if (ec == http::error::header_limit) {
    return error_response({http::status::request_header_fields_too_large, "headers_too_large",
                           fmt::format("request headers exceed {} bytes (--max-header-bytes)",
                                       limits.max_header_bytes)});
  }
  if (ec == http::error::body_limit) {
    return error_response(
        {http::status::payload_too_large, "body_too_large",
         fmt::format("request body exceeds {} bytes (--max-body-bytes)", limits.max_body_bytes)});
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
    case watch_route::health:
    case watch_route::dashboard:  // answered by redirect_to_dashboard
    case watch_route::events:
      break;
  }
  return json_response(http::status::ok, {{"status", "ok"}});
}

// The dashboard has its own port and thread (dashboard.hpp): GET / and GET /events are sent
// there; POST /fire is only answered there.
response redirect_to_dashboard(const http::request<http::string_body>& req, const route& found,
                               const server_state& server) {
  const auto url = dashboard_url(req[http::field::host], server.dashboard_port);
  if (std::holds_alternative<fire_route>(found)) {
    return error_response({http::status::not_found, "not_found",
                           fmt::format("POST /fire is served by the dashboard, at {}fire", url)});
  }
  const auto location = url + (std::get<watch_route>(found) == watch_route::events ? "events" : "");
  auto res = json_response(http::status::temporary_redirect, {{"dashboard", location}});
  res.set(http::field::location, location);
  return res;
}

// Maps one routed request to its response.
awaitable<response> handle_request(const http::request<http::string_body>& req, const route& found,
                                   std::uint64_t request_id, server_state& server) {
  if (const auto* e = std::get_if<route_error>(&found)) {
    spdlog::info("{} {} #{} -> {} {}", std::string_view(req.method_string()),
                 std::string_view(req.target()), request_id, static_cast<int>(e->status), e->error);
    co_return error_response(*e);
  }
  const auto* which = std::get_if<watch_route>(&found);
  if (std::holds_alternative<fire_route>(found) ||
      (which && (*which == watch_route::dashboard || *which == watch_route::events))) {
    co_return redirect_to_dashboard(req, found, server);
  }
  if (which) co_return watch_response(*which, server);
  const auto& lesson = std::get<lesson_route>(found);
  if (runs_on_worker_pool(lesson.which) && server.pool.full(server.http.max_pool_queue)) {
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

// Counts something, a request in flight or an open connection, for as long as it lives.
class scoped_count {
 public:
  explicit scoped_count(std::atomic<int>& count) : count_(count) { ++count_; }
  ~scoped_count() { --count_; }
  scoped_count(const scoped_count&) = delete;
  scoped_count& operator=(const scoped_count&) = delete;

 private:
  std::atomic<int>& count_;
};

// Answers one request that has been read, counted in flight until the answer is written.
// Returns whether the connection stays open for another request.
awaitable<bool> answer(beast::tcp_stream& stream, const http::request<http::string_body>& req,
                       server_state& server) {
  const auto found = find_route(req.method(), req.target(), server.limits);
  const scoped_count in_flight{server.requests_in_flight};  // a graceful shutdown waits for it
  const auto read_at = std::chrono::steady_clock::now();
  const auto request_id = ++server.last_request_id;
  loop_tracking::set_current_request({request_id, route_label(found)});  // for the watchdog
  auto res = co_await handle_request(req, found, request_id, server);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - read_at;
  server.metrics.record(route_label(found), res.result_int(), took.count());
  res.version(req.version());  // an HTTP/1.0 client gets an HTTP/1.0 answer
  res.keep_alive(req.keep_alive() && !server.draining);
  stream.expires_after(server.http.write_timeout);
  const auto [write_error, _] = co_await http::async_write(stream, res, as_result);
  loop_tracking::set_current_request({});
  co_return !write_error && res.keep_alive();
}

// "127.0.0.1:51234", for log lines about a connection.
std::string peer_of(const beast::tcp_stream& stream) {
  beast::error_code ec;
  const auto peer = stream.socket().remote_endpoint(ec);
  return ec ? "a client that left" : fmt::format("{}:{}", peer.address().to_string(), peer.port());
}

// On a kept-alive connection, waits (at most --keep-alive-timeout) for the next request to
// begin. False when the client stayed idle or left.
awaitable<bool> next_request_begins(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                    const http_limits& limits) {
  if (buffer.size() > 0) co_return true;  // already here, pipelined
  stream.expires_after(limits.keep_alive_timeout);
  const auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), as_result);
  buffer.commit(n);
  co_return !ec;
}

// Closes a connection whose client may still be sending (a body we refused, a request we did not
// read): stop sending, then read and drop what arrives, for a second at most. Closing with
// unread bytes would make the kernel send a reset, which can destroy the answer just written
// before the client reads it.
awaitable<void> close_without_losing_the_answer(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(1));
  std::array<char, 16 * 1024> discarded{};
  for (;;) {
    const auto [error, _] = co_await stream.async_read_some(asio::buffer(discarded), as_result);
    if (error) co_return;
  }
}

// Tells the client why its request could not be read, when it sent something readable enough
// to be told; a request that did not arrive in time is only logged.
awaitable<void> refuse_unreadable(beast::tcp_stream& stream,
                                  const http::request_parser<http::string_body>& parser,
                                  beast::error_code read_error, server_state& server) {
  if (read_error == beast::error::timeout) {
    spdlog::info("{} cut: no complete request within {} s (--read-timeout)", peer_of(stream),
                 decimal_text(std::chrono::duration<double>(server.http.read_timeout).count()));
    co_return;
  }
  if (!parser.got_some()) co_return;  // closed before sending anything
  stream.expires_after(server.http.write_timeout);
  auto res = unreadable_request_response(read_error, server.http);
  res.keep_alive(false);
  spdlog::info("unreadable request #{} -> {}: {}", ++server.last_request_id, res.result_int(),
               read_error.message());
  co_await http::async_write(stream, res, as_result);
  co_await close_without_losing_the_answer(stream);
}

// One connection: read a request, answer it, and again while the client keeps it alive.
awaitable<void> http_session(beast::tcp_stream stream, server_state& server) {
  const scoped_count open{server.open_connections};
  beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    if (!first && !co_await next_request_begins(stream, buffer, server.http)) co_return;
    http::request_parser<http::string_body> parser;
    parser.header_limit(server.http.max_header_bytes);
    parser.body_limit(server.http.max_body_bytes);
    stream.expires_after(server.http.read_timeout);
    const auto [read_error, _] = co_await http::async_read(stream, buffer, parser, as_result);
    if (read_error) {
      co_await refuse_unreadable(stream, parser, read_error, server);
      co_return;
    }
    if (!co_await answer(stream, parser.get(), server)) co_return;
  }
}

// A connection over --max-connections: its request is read (for a second at most) and answered
// 503, so the client learns why instead of seeing a reset.
awaitable<void> turn_away(beast::tcp_stream stream, server_state& server) {
  static std::atomic<int> turning_away{0};
  if (++turning_away > server.http.max_turning_away) {
    --turning_away;
    co_return;  // closed at once
  }
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(server.http.max_header_bytes);
  parser.eager(false);
  // A timeout on the stream would close the socket; this one only stops waiting for the request.
  asio::steady_timer patience{stream.get_executor(), std::chrono::seconds(1)};
  co_await (http::async_read_header(stream.socket(), buffer, parser, as_result) ||
            patience.async_wait(as_result));
  auto res = busy_response(
      "too_many_connections",
      fmt::format("the server already has {} connections open (--max-connections); try again "
                  "shortly",
                  server.http.max_connections));
  res.keep_alive(false);
  stream.expires_after(std::chrono::seconds(1));
  co_await http::async_write(stream, res, as_result);
  co_await close_without_losing_the_answer(stream);
  --turning_away;
}

// Where a connection's coroutine runs. With several loop threads it needs a strand, so that its
// reads, writes and timeouts never run at once; with one thread that is given for free.
asio::any_io_executor connection_executor(const server_state& server) {
  if (server.loop_threads == 1) return server.event_loop;
  return asio::make_strand(server.event_loop);
}

// Gives an accepted connection its own coroutine, or turns it away when the server is full.
void start_session(tcp::socket socket, server_state& server) {
  const auto executor = socket.get_executor();
  const bool full = server.open_connections >= server.http.max_connections;
  if (full != server.at_connection_cap.exchange(full)) {
    if (full) {
      spdlog::warn(
          "WARN {} connections open (--max-connections): new ones get 503 until some close",
          server.http.max_connections);
    } else {
      spdlog::info("below --max-connections again; {} connections were turned away so far",
                   server.turned_away.load());
    }
  }
  beast::tcp_stream stream{std::move(socket)};
  if (full) {
    ++server.turned_away;
    asio::co_spawn(executor, turn_away(std::move(stream), server), asio::detached);
    return;
  }
  asio::co_spawn(executor, http_session(std::move(stream), server), asio::detached);
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
