#pragma once
// Which endpoint a request asks for and with what sleep: a pure function of method and target,
// so every rule about bad input can be unit-tested without a socket.

#include "lesson.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace asyncscope {

// What `?sleep=` may be, from --sleep and --max-sleep.
struct sleep_limits {
  double default_sleep = 0;
  double max_sleep = 0;
};

// A call to one of the lesson's endpoints.
struct lesson_route {
  lesson_endpoint which;
  std::string_view path;  // the endpoint's canonical path, e.g. "/async-endpoint"
  double sleep = 0;
};

// GET /healthz.
struct health_check {};

struct route_error {
  boost::beast::http::status status;
  std::string error;   // short code: "not_found", "bad_sleep", ...
  std::string detail;  // one sentence for a person
};

using route = std::variant<lesson_route, health_check, route_error>;

route find_route(boost::beast::http::verb method, std::string_view target,
                 const sleep_limits& limits);

}  // namespace asyncscope
