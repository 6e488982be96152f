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
  std::atomic<int> requests_in_flight{0};  // read and not yet answered
  std::atomic<bool> draining{false};       // shutting down: answer, then close
};

// Accepts connections until the acceptor is closed; each gets its own http_session. Run it on
// the acceptor's executor, a strand, so stop_and_drain cannot run at the same time.
boost::asio::awaitable<void> listener(boost::asio::ip::tcp::acceptor& acceptor,
                                      server_state& server);

// Shutting down: takes in the connections already waiting in the kernel's backlog (clients that
// connected while /async-wrong held the loop), closes the acceptor, and returns once no request
// is in flight. It runs on the loop (the acceptor's strand), so it looks only after the loop has
// read what had arrived: requests queued behind a blocked loop are waited for, while a
// connection that never sent anything does not hold the shutdown up.
boost::asio::awaitable<void> stop_and_drain(boost::asio::ip::tcp::acceptor& acceptor,
                                            server_state& server);

}  // namespace asyncscope
