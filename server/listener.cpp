#include "listener.hpp"

#include "awaitable_result.hpp"
#include "http_responses.hpp"
#include "http_session.hpp"
#include "log_escaped.hpp"
#include "loop_tracking.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <vector>

namespace asyncscope {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

// A connection over --max-connections: its request is read (for a second at most) and answered
// 503, so the client learns why instead of seeing a reset. On the acceptor thread, so that a
// blocked loop does not hold up the answer.
awaitable<void> turn_away(beast::tcp_stream stream, server_state& server) {
  auto& turning_away = server.counters.turning_away;
  if (++turning_away > server.config.http.max_turning_away) {
    --turning_away;
    co_return;  // closed at once: a flood must not use up the file descriptors
  }
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(server.config.http.max_header_bytes);
  parser.eager(false);
  // A timeout on the stream would close the socket; this one only stops waiting for the request.
  asio::steady_timer patience{stream.get_executor(), std::chrono::seconds(1)};
  co_await (http::async_read_header(stream.socket(), buffer, parser, as_result) ||
            patience.async_wait(as_result));
  auto res = busy_response(
      "too_many_connections",
      fmt::format("the server already has {} connections open (--max-connections); try again "
                  "shortly",
                  server.config.http.max_connections));
  res.keep_alive(false);
  stream.expires_after(std::chrono::seconds(1));
  co_await http::async_write(stream, res, as_result);
  co_await close_without_losing_the_answer(stream);
  --turning_away;
}

// Where a connection's coroutine runs. With several loop threads it needs a strand, so that its
// reads, writes and timeouts never run at once; with one thread that is given for free.
asio::any_io_executor connection_executor(const server_state& server) {
  if (server.config.loop_threads == 1) return server.event_loop;
  return asio::make_strand(server.event_loop);
}

// Logs when the server reaches --max-connections, and when it is below it again.
void note_connection_cap(bool full, server_state& server) {
  if (full == server.counters.at_connection_cap.exchange(full)) return;
  if (full) {
    spdlog::warn("WARN {} connections open (--max-connections): new ones get 503 until some close",
                 server.config.http.max_connections);
  } else {
    spdlog::info("below --max-connections again; {} connections were turned away so far",
                 server.counters.turned_away.load());
  }
}

// The socket, accepted on the loop's side, moved to the acceptor thread's.
tcp::socket on_acceptor_thread(tcp::socket socket, const asio::any_io_executor& acceptor_thread) {
  boost::system::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  const auto handle = socket.release(ec);
  tcp::socket moved{acceptor_thread};
  if (!ec) moved.assign(protocol, handle, ec);
  return moved;
}

// A connection taken in by the acceptor, and when (steady clock): its first request's queued
// time starts there.
struct accepted_connection {
  tcp::socket socket;
  std::int64_t accepted_ns;
};

// Counts an accepted connection in and adds it to `batch` for the loop, or turns it away when
// the server is full.
void admit(tcp::socket socket, std::int64_t accepted_ns,
           const asio::any_io_executor& acceptor_thread, std::vector<accepted_connection>& batch,
           server_state& server) {
  const bool full = server.counters.open_connections >= server.config.http.max_connections;
  note_connection_cap(full, server);
  if (full) {
    ++server.counters.turned_away;
    auto here = on_acceptor_thread(std::move(socket), acceptor_thread);
    asio::co_spawn(acceptor_thread, turn_away(beast::tcp_stream{std::move(here)}, server),
                   log_escaped("turning a connection away"));
    return;
  }
  ++server.counters.open_connections;  // http_session counts it down at its end
  ++server.counters.sessions_not_started;
  ++server.counters.connections_unread;  // until http_session has read its first head
  batch.push_back({std::move(socket), accepted_ns});
}

// Hands accepted connections to the loop, each in its own coroutine, all in one post: one trip
// across threads for the lot, and each coroutine is made on the loop's side, not the acceptor's.
void hand_to_loop(std::vector<accepted_connection> batch, server_state& server) {
  if (batch.empty()) return;
  asio::post(server.event_loop, [batch = std::move(batch), &server]() mutable {
    for (auto& [socket, accepted_ns] : batch) {
      const auto executor = socket.get_executor();
      asio::co_spawn(executor,
                     http_session(beast::tcp_stream{std::move(socket)}, accepted_ns, server),
                     log_escaped("an HTTP connection"));
    }
  });
}

// Takes in, without waiting, connections already in the kernel's queue: at most `most` accepts.
// False once the queue is empty (or accepting fails: the listener's next accept reports why).
bool take_waiting(tcp::acceptor& acceptor, std::vector<accepted_connection>& batch, int most,
                  server_state& server) {
  for (int tries = 0; tries < most; ++tries) {
    tcp::socket socket{connection_executor(server)};
    boost::system::error_code ec;
    acceptor.accept(socket, ec);  // the acceptor is non-blocking: would_block when none wait
    if (ec == asio::error::connection_aborted) continue;  // the client left before we took it
    if (ec) return false;
    admit(std::move(socket), loop_tracking::steady_now_ns(), acceptor.get_executor(), batch, server);
  }
  return true;
}

// The drain's loop side: a look every 20 ms, each after the loop has had a turn, until no
// connection handed over is waiting to start and no request is in flight.
awaitable<void> until_nothing_in_flight(server_state& server) {
  asio::steady_timer tick{co_await asio::this_coro::executor};
  do {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(as_result);
  } while (server.counters.requests_in_flight > 0 || server.counters.sessions_not_started > 0);
}

}  // namespace

awaitable<void> listener(tcp::acceptor& acceptor, server_state& server) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(connection_executor(server), as_result);
    if (!ec) {
      std::vector<accepted_connection> batch;
      admit(std::move(socket), loop_tracking::steady_now_ns(), acceptor.get_executor(), batch,
            server);
      take_waiting(acceptor, batch, 63, server);  // in a burst, more wait in the kernel's queue
      hand_to_loop(std::move(batch), server);
      continue;
    }
    if (ec == asio::error::connection_aborted) continue;
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    spdlog::warn("accept failed: {}", ec.message());  // e.g. out of file descriptors:
    asio::steady_timer pause{acceptor.get_executor(), std::chrono::milliseconds(50)};
    co_await pause.async_wait(as_result);  // wait a moment instead of spinning
  }
}

awaitable<void> stop_and_drain(tcp::acceptor& acceptor, server_state& server) {
  // Clients that connected while the loop was busy are taken in, then no more.
  for (bool more = true; more;) {
    std::vector<accepted_connection> batch;
    more = take_waiting(acceptor, batch, 64, server);
    hand_to_loop(std::move(batch), server);
  }
  acceptor.close();
  co_await asio::co_spawn(server.event_loop, until_nothing_in_flight(server), asio::use_awaitable);
}

}  // namespace asyncscope
