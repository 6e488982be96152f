#pragma once
// From a request that has been read to its answer: the one place that decides which handler
// runs. Lesson requests go to run_lesson_endpoint (lesson.cpp), which decides on which thread;
// the database lesson's ToDo requests (/sync/tasks, /async/tasks, /async-wrong/tasks) go to
// answer_todo (todo_http.cpp).

#include "http_responses.hpp"
#include "server_state.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>

namespace asyncscope {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// Never throws: a handler that does is logged and answered 500 with the request id.
boost::asio::awaitable<http_response> handle_request(const http_request& req, const route& found,
                                                     std::uint64_t request_id,
                                                     server_state& server);

}  // namespace asyncscope
