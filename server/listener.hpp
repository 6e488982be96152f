#pragma once
// Accepting connections: the accept loop, admission control (--max-connections), and the drain
// at shutdown. Each accepted connection runs http_session (http_session.cpp).

#include "server_state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace asyncscope {

// Accepts connections until the acceptor is closed; each gets its own http_session. Run it on
// the acceptor's executor, a strand, so stop_and_drain cannot run at the same time.
boost::asio::awaitable<void> listener(boost::asio::ip::tcp::acceptor& acceptor,
                                      server_state& server);

// Shutting down: takes in the connections already waiting in the kernel's backlog (clients that
// connected while /async-wrong held the loop), closes the acceptor, and returns once no request
// is in flight. It runs on the loop (the acceptor's strand), so it looks only after the loop has
// read what had arrived: requests queued behind a blocked loop are waited for, while a
// connection that never sent anything does not hold the shutdown up. main bounds how long
// this may take (--drain-timeout).
boost::asio::awaitable<void> stop_and_drain(boost::asio::ip::tcp::acceptor& acceptor,
                                            server_state& server);

}  // namespace asyncscope
