#include "http_session.hpp"

#include "answer_head.hpp"
#include "awaitable_result.hpp"
#include "dispatch.hpp"
#include "http_framing.hpp"
#include "loop_tracking.hpp"
#include "seconds.hpp"
#include "timed_request.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;

namespace {

// Counts something, a request in flight or an open connection, for as long as it lives; or, if
// it was counted already (a connection, by the listener), only counts it down at the end.
class scoped_count {
 public:
  enum class already { counted };
  explicit scoped_count(std::atomic<int>& count) : count_(count) { ++count_; }
  scoped_count(std::atomic<int>& count, already) : count_(count) {}
  ~scoped_count() { --count_; }
  scoped_count(const scoped_count&) = delete;
  scoped_count& operator=(const scoped_count&) = delete;

 private:
  std::atomic<int>& count_;
};

// "127.0.0.1:51234", for log lines about a connection.
std::string peer_of(const beast::tcp_stream& stream) {
  beast::error_code ec;
  const auto peer = stream.socket().remote_endpoint(ec);
  return ec ? "a client that left" : fmt::format("{}:{}", peer.address().to_string(), peer.port());
}

// A HEAD request gets the GET answer's head, Content-Length included, and no body. Says whether
// the connection may carry another request.
awaitable<bool> write_head_only(beast::tcp_stream& stream, http_response& res,
                                const server_state& server) {
  stream.expires_after(server.config.http.write_timeout);
  http::response<http::empty_body> head{res.base()};
  const auto [ec, _] = co_await http::async_write(stream, head, as_result);
  co_return !ec && res.keep_alive();
}

// Writes what the socket takes now, without waiting (it is in non-blocking mode, see
// http_session): most answers fit in its send buffer, and then there is no write operation,
// timer, trip through the loop's queue or coroutine. The bytes written (0 if none fit), or
// nothing when the connection failed.
std::optional<std::size_t> write_at_once(beast::tcp_stream& stream,
                                         const std::array<asio::const_buffer, 2>& answer) {
  beast::error_code ec;
  const auto sent = stream.socket().write_some(answer, ec);
  if (ec && ec != asio::error::would_block) return std::nullopt;
  return sent;
}

// Writes the rest of an answer the socket did not take at once, within the 30 s write timeout
// (a client that stops reading is cut then).
awaitable<bool> write_rest(beast::tcp_stream& stream,
                           const std::array<asio::const_buffer, 2>& answer, std::size_t sent,
                           const server_state& server) {
  stream.expires_after(server.config.http.write_timeout);
  beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest{answer};
  rest.consume(sent);
  const auto [ec, _] = co_await asio::async_write(stream, rest, as_result);
  co_return !ec;
}

// Answers one request that has been read, timed until the answer is written. Returns whether the
// connection stays open for another request.
awaitable<bool> answer(beast::tcp_stream& stream, const http_request& req, std::int64_t ready_ns,
                       server_state& server) {
  const auto read_at = std::chrono::steady_clock::now();
  const auto request_id = ++server.counters.last_request_id;
  request_metrics::answering counted{server.metrics};
  const auto found = find_route(req.method(), req.target(), server.config.limits);
  const char* label = route_label(found);
  const timed_request timed{request_id, label, ready_ns, server};
  auto res = co_await handle_request(req, found, request_id, server);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - read_at;
  counted.record(label, res.result_int(), took.count());
  res.version(req.version());  // an HTTP/1.0 client gets an HTTP/1.0 answer
  res.keep_alive(req.keep_alive() && !server.counters.draining);
  if (req.method() == http::verb::head) co_return co_await write_head_only(stream, res, server);
  const auto head = answer_head(res);  // the bytes Beast's serializer would write, made at once
  const std::array<asio::const_buffer, 2> both{asio::buffer(head), asio::buffer(res.body())};
  const auto sent = write_at_once(stream, both);
  if (!sent) co_return false;
  if (*sent < asio::buffer_size(both) && !co_await write_rest(stream, both, *sent, server)) {
    co_return false;
  }
  co_return res.keep_alive();
}

// On a kept-alive connection, waits for the next request to begin: for --keep-alive-timeout,
// and up to a quarter of it more (the sweep's period, idle_connections.hpp). False when the
// client stayed idle or left.
awaitable<bool> next_request_begins(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                    idle_connections& idle) {
  if (buffer.size() > 0) co_return true;  // already here, pipelined
  // Asio tries every read at once before it waits for the socket to be readable. Just after an
  // answer the client has rarely sent its next request yet, so under load that try was a wasted
  // system call on every request (recvmsg, EAGAIN). The loop first runs whatever else is ready,
  // which gives the client that time: 2.0 recvmsg a request became 1.1 (docs/results.md).
  co_await asio::post(stream.get_executor(), asio::use_awaitable);
  // Read from the socket, past the stream's own timeout: the idle list's sweep closes the
  // connection at --keep-alive-timeout instead (idle_connections.hpp).
  idle_connections::wait idle_wait{idle, stream.socket().native_handle()};
  const auto [ec, n] = co_await stream.socket().async_read_some(buffer.prepare(4096), as_result);
  buffer.commit(n);
  co_return idle_wait.end() && !ec;
}

// Parses a request's head from what the buffer holds already. On a kept-alive connection that
// is often all of it, read while waiting for the request to begin: then it needs no read, where
// Beast's read would queue its completion behind everybody else's on the loop (a trip through
// the loop that cost as much as parsing), and no coroutine. need_more when the head is not whole.
beast::error_code parse_buffered_head(beast::flat_buffer& buffer,
                                      http::request_parser<http::string_body>& parser) {
  beast::error_code ec = http::error::need_more;
  if (buffer.size() == 0) return ec;
  ec = {};
  buffer.consume(parser.put(buffer.data(), ec));
  if (!ec && !parser.is_header_done()) ec = http::error::need_more;
  return ec;
}

// Says why a request is refused, then closes: after a refused head the rest of the bytes on
// the connection cannot be trusted to start a new request.
awaitable<void> refuse(beast::tcp_stream& stream, http_response res, std::string_view why,
                       server_state& server) {
  res.keep_alive(false);
  spdlog::info("{} request #{} -> {}: {}", peer_of(stream), ++server.counters.last_request_id,
               res.result_int(), why);
  stream.expires_after(server.config.http.write_timeout);
  co_await http::async_write(stream, res, as_result);
  co_await close_without_losing_the_answer(stream);
}

// A request that could not be read: told why when it sent something readable enough to be
// told; one that did not arrive in time is only logged.
awaitable<void> refuse_unreadable(beast::tcp_stream& stream,
                                  const http::request_parser<http::string_body>& parser,
                                  beast::error_code read_error, server_state& server) {
  if (read_error == beast::error::timeout) {
    spdlog::info(
        "{} cut: no complete request within {} s (--read-timeout)", peer_of(stream),
        decimal_text(std::chrono::duration<double>(server.config.http.read_timeout).count()));
    co_return;
  }
  if (!parser.got_some()) co_return;  // closed before sending anything
  co_await refuse(stream, unreadable_request_response(read_error, server.config.http),
                  read_error.message(), server);
}

// "HTTP/1.1 100 Continue": the client that asked waits for it before sending its body.
awaitable<bool> send_continue(beast::tcp_stream& stream) {
  static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const auto [ec, _] = co_await asio::async_write(stream, asio::buffer(interim), as_result);
  co_return !ec;
}

}  // namespace

// A request is ready to run from the moment its connection was accepted (the first one) or its
// bytes were read (a later one on a kept-alive connection: the loop reads them only when it gets
// a turn, so time they spent unread behind a blocked loop is not seen).
awaitable<void> http_session(beast::tcp_stream stream, std::int64_t accepted_ns,
                             server_state& server) {
  --server.counters.sessions_not_started;
  const scoped_count open{server.counters.open_connections, scoped_count::already::counted};
  // Until its first request's head is read, the connection waits for the loop (the dashboard
  // counts it with the batch's "waiting to be accepted"); the listener counted it at its accept.
  std::optional<scoped_count> unread{std::in_place, server.counters.connections_unread,
                                     scoped_count::already::counted};
  const auto& limits = server.config.http;
  beast::error_code ec;
  stream.socket().non_blocking(true, ec);  // for write_at_once
  if (ec) co_return;  // the client has gone already
  beast::flat_buffer buffer;
  auto ready_ns = accepted_ns;
  for (bool first = true;; first = false) {
    if (!first) {
      if (!co_await next_request_begins(stream, buffer, server.idle)) co_return;
      ready_ns = loop_tracking::steady_now_ns();
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);
    stream.expires_after(limits.read_timeout);  // for the head and the body together
    auto read_error = parse_buffered_head(buffer, parser);
    if (read_error == http::error::need_more) {
      std::tie(read_error, std::ignore) =
          co_await http::async_read_header(stream, buffer, parser, as_result);
    }
    if (read_error) co_return co_await refuse_unreadable(stream, parser, read_error, server);
    unread.reset();
    // From its head until its answer is written, the request is in flight: shutdown waits for it.
    const scoped_count in_flight{server.counters.requests_in_flight};
    auto verdict = check_request_head(parser.get().base(), server.config.loopback_only);
    if (verdict.refuse) {
      co_return co_await refuse(stream, error_response(*verdict.refuse), verdict.refuse->detail,
                                server);
    }
    if (verdict.send_continue && !co_await send_continue(stream)) co_return;
    if (!parser.is_done()) {  // a body follows (a GET has none: nothing more to wait for)
      std::tie(read_error, std::ignore) =
          co_await http::async_read(stream, buffer, parser, as_result);
      if (read_error) co_return co_await refuse_unreadable(stream, parser, read_error, server);
    }
    if (!co_await answer(stream, parser.get(), ready_ns, server)) co_return;
  }
}

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

}  // namespace asyncscope
