#pragma once
// What a ToDo request is answered: a status and the book's JSON, as FastAPI would send them.

#include "endpoint_result.hpp"

#include <boost/beast/http/status.hpp>

#include <string>
#include <string_view>

namespace asyncscope {

struct todo_answer {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;          // JSON text: the book's body, or {"error": ..., "detail": ...}
  bool retry_after = false;  // a 503 that will pass: send Retry-After
  std::string_view allow{};  // for a 405: the methods the path takes
  // Who did the request's database work, when: for the response headers. Empty (request_id 0)
  // when the request never reached the database.
  endpoint_result timing{};
};

// {"error": error, "detail": detail} with the given status (defined in todo_routes.cpp).
todo_answer todo_error(boost::beast::http::status status, std::string error, std::string detail);

}  // namespace asyncscope
