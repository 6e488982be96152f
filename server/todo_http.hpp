#pragma once
// The ToDo routes' HTTP side: one request in, one response out, FastAPI's way. The plumbing
// that reads and writes (dispatch.cpp) calls answer_todo for every request routed as a todo_call.

#include "todo_backend.hpp"
#include "todo_routes.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>

namespace asyncscope {

boost::asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>> answer_todo(
    const boost::beast::http::request<boost::beast::http::string_body>& req,
    std::uint64_t request_id, todo_backend& backend);

}  // namespace asyncscope
