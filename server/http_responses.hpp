#pragma once
// Building answers: every answer of the server is one of these. The JSON error shape,
// {"error": CODE, "detail": SENTENCE}, is in docs/reference.md.

#include "routes.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace asyncscope {

struct http_limits;

using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// A complete answer with the given body; the session sets the version and keep-alive.
http_response text_response(boost::beast::http::status status, std::string_view content_type,
                            std::string body);

// Every answer of the lesson, success or error, is JSON.
http_response json_response(boost::beast::http::status status, const boost::json::value& body);

// {"error": ..., "detail": ...} with the route error's status (and Allow for a 405).
http_response error_response(const route_error& e);

// 503 with Retry-After: the server is fine, but full; try again in a second.
http_response busy_response(std::string error, std::string detail);

// 500 for a handler that threw: what escaped, and the request it was for, so the log line with
// the same id can be found.
http_response internal_error_response(std::uint64_t request_id, std::string_view what);

// The answer to a request the parser gave up on; the connection closes after it.
http_response unreadable_request_response(boost::beast::error_code ec, const http_limits& limits);

// 307 to the same path on another origin (the dashboard's own port).
http_response redirect_response(std::string location);

}  // namespace asyncscope
