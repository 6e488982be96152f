#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asyncscope {

// `co_await op(as_result)` gives (error_code, value...) instead of throwing: for the places
// where an error is an expected outcome (a timeout, a closed connection) and not an exception.
inline constexpr auto as_result = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace asyncscope
