#pragma once
// HTTP/1.1 plumbing: the accept loop, one coroutine per connection, and the mapping from a
// request to its response. The lesson itself is in lesson.cpp.

#include "routes.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>

namespace asyncscope {

// What every connection shares.
struct server_state {
  sleep_limits limits;
  int loop_threads = 1;
  boost::asio::io_context& worker_pool;
  std::atomic<std::uint64_t> last_request_id{0};
  std::atomic<int> requests_in_flight{0};  // accepted and not yet answered
  std::atomic<bool> draining{false};       // shutting down: answer, then close
};

// Accepts connections until the acceptor is closed; each gets its own http_session.
boost::asio::awaitable<void> listener(boost::asio::ip::tcp::acceptor& acceptor,
                                      server_state& server);

// Shutting down: takes in the connections that already wait in the kernel's backlog (clients
// that connected while the loop was busy), then closes the acceptor. Call it on the loop.
void stop_listening(boost::asio::ip::tcp::acceptor& acceptor, server_state& server);

}  // namespace asyncscope
