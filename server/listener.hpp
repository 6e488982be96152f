#pragma once
// Accepting connections: the accept loop, admission control (--max-connections), and the drain
// at shutdown. They run on a thread of their own, the acceptor, not on the event loop: while a
// handler blocks the loop, connections are still accepted, timed from that moment (a request's
// "queued" time starts there), counted against the cap and, over it, turned away. Accepted
// connections are handed to the loop, where each runs http_session (http_session.cpp); those
// that waited in the kernel's queue together (a burst) go over together, up to 64 at a time.

#include "server_state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace asyncscope {

// Accepts connections until the acceptor is closed; each gets its own http_session on the loop.
// Run it on the acceptor's executor, one thread, so stop_and_drain cannot run at the same time.
// Both need the acceptor non-blocking, with enable_connection_aborted set (main's open_acceptor).
boost::asio::awaitable<void> listener(boost::asio::ip::tcp::acceptor& acceptor,
                                      server_state& server);

// Shutting down: takes in the connections already waiting in the kernel's backlog, closes the
// acceptor, and returns once no request is in flight. It waits on the loop, so it looks only
// after the loop has started every connection handed to it and read what had arrived: requests
// queued behind a blocked loop are waited for, while a connection that never sent anything does
// not hold the shutdown up. main bounds how long this may take (--drain-timeout).
boost::asio::awaitable<void> stop_and_drain(boost::asio::ip::tcp::acceptor& acceptor,
                                            server_state& server);

}  // namespace asyncscope
