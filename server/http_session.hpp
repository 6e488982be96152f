#pragma once
// One connection's coroutine: read a request, check its head, answer it through dispatch, and
// again while the client keeps the connection alive. Accepting connections is listener.cpp's job;
// deciding the answer is dispatch.cpp's.

#include "server_state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <cstdint>

namespace asyncscope {

// `accepted_ns` (steady clock): when the acceptor took the connection in. The listener has
// counted it in open_connections, sessions_not_started and connections_unread; the session
// counts them down.
boost::asio::awaitable<void> http_session(boost::beast::tcp_stream stream, std::int64_t accepted_ns,
                                          server_state& server);

// Closes a connection whose client may still be sending (a body we refused, a request we did not
// read): stop sending, then read and drop what arrives, for a second at most. Closing with
// unread bytes would make the kernel send a reset, which can destroy the answer just written
// before the client reads it.
boost::asio::awaitable<void> close_without_losing_the_answer(boost::beast::tcp_stream& stream);

}  // namespace asyncscope
