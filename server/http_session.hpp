#pragma once
// HTTP/1.1 plumbing: the accept loop, one coroutine per connection, and the mapping from a
// request to its response. The lesson itself is in lesson.cpp.

#include "routes.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>

namespace asyncscope {

// What every connection shares.
struct server_state {
  sleep_limits limits;
  boost::asio::any_io_executor event_loop;
  int loop_threads = 1;
  boost::asio::io_context& worker_pool;
  std::atomic<std::uint64_t> last_request_id{0};
  std::atomic<int> requests_in_flight{0};  // accepted and not yet answered
  std::atomic<bool> draining{false};       // shutting down: answer, then close
};

// Accepts connections until the acceptor is closed; each gets its own http_session. Run it on
// the acceptor's executor, a strand, so stop_listening cannot run at the same time.
boost::asio::awaitable<void> listener(boost::asio::ip::tcp::acceptor& acceptor,
                                      server_state& server);

// Shutting down: takes in the connections that already wait in the kernel's backlog (clients
// that connected while the loop was busy), then closes the acceptor. Post it to the acceptor's
// executor.
void stop_listening(boost::asio::ip::tcp::acceptor& acceptor, server_state& server);

}  // namespace asyncscope
