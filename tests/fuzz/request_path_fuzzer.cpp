// Fuzzes the server's request path: the bytes a client sends, through Beast's request parser
// with the server's limits, then the routing and `?sleep=`/`?work=` validation of find_route
// (the dashboard's POST /fire too), and the JSON error body the server would answer with.
//
// Input: a raw HTTP request, e.g. "GET /async-endpoint?sleep=0.2 HTTP/1.1\r\nHost: x\r\n\r\n".
// Its first line is also cut at the spaces and handed to find_route directly, so that targets
// the parser would refuse (other bytes than it allows) still reach the router.

#include "fuzz_check.hpp"
#include "json_text.hpp"
#include "lesson_paths.hpp"
#include "routes.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using asyncscope::fuzzing::check;

// The server's defaults (--sleep 1, --max-sleep 60) and its parser limits (http_session.cpp).
const asyncscope::sleep_limits limits{.default_sleep = 1.0, .max_sleep = 60.0};
constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t body_limit = 64 * 1024;

bool is_lesson_path(std::string_view path) {
  return std::find(asyncscope::lesson_paths.begin(), asyncscope::lesson_paths.end(), path) !=
         asyncscope::lesson_paths.end();
}

// What every answer of find_route must be, whatever it was given. HEAD is routed as GET (its
// answer is GET's head).
void check_route(http::verb method, const asyncscope::route& found) {
  const bool get_or_head = method == http::verb::get || method == http::verb::head;
  if (const auto* lesson = std::get_if<asyncscope::lesson_route>(&found)) {
    check(get_or_head, "only GET and HEAD reach a lesson endpoint");
    check(is_lesson_path(lesson->path), "a lesson route names one of the lesson's paths");
    check(std::isfinite(lesson->sleep), "the sleep is finite");
    check(lesson->sleep >= 0 && lesson->sleep <= limits.max_sleep, "the sleep is within limits");
    return;
  }
  if (const auto* todo = std::get_if<asyncscope::todo_call>(&found)) {
    check(std::find(asyncscope::todo_paths.begin(), asyncscope::todo_paths.end(), todo->path) !=
              asyncscope::todo_paths.end(),
          "a ToDo route names one of the three flavours' paths");
    return;
  }
  if (std::holds_alternative<asyncscope::watch_route>(found)) {
    check(get_or_head, "only GET and HEAD reach /healthz, /metrics, / and /events");
    return;
  }
  if (const auto* fire = std::get_if<asyncscope::fire_route>(&found)) {
    check(method == http::verb::post, "only POST reaches /fire");
    check(fire->count >= 1 && fire->count <= asyncscope::max_fire_count, "the count is in range");
    check(is_lesson_path(fire->lesson.path), "/fire names one of the lesson's paths");
    check(std::isfinite(fire->lesson.sleep) && fire->lesson.sleep >= 0 &&
              fire->lesson.sleep <= limits.max_sleep,
          "the fired sleep is within limits");
    return;
  }
  const auto& error = std::get<asyncscope::route_error>(found);
  check(!error.error.empty() && !error.detail.empty(), "an error has a code and a detail");
  check(error.status == http::status::bad_request || error.status == http::status::not_found ||
            error.status == http::status::method_not_allowed,
        "an error is a 400, 404 or 405");
  check(error.status != http::status::method_not_allowed || method != http::verb::get ||
            error.path == "/fire",
        "GET is refused as a wrong method only on /fire");
  // The body the server sends for it must be JSON a client can read back.
  const auto body =
      asyncscope::to_json_text(json::value_from(asyncscope::error_body{error.error, error.detail}));
  boost::system::error_code ec;
  const auto parsed = json::parse(body, ec);
  check(!ec, "the error body is valid JSON");
  check(parsed.as_object().at("error").as_string() == error.error, "the error body keeps the code");
}

// The first line's method and target, cut at spaces, whatever bytes they hold.
void route_request_line(std::string_view input) {
  const auto line = input.substr(0, input.find("\r\n"));
  const auto method_end = line.find(' ');
  if (method_end == std::string_view::npos) return;
  const auto rest = line.substr(method_end + 1);
  const auto method = http::string_to_verb(line.substr(0, method_end));
  check_route(method, asyncscope::find_route(method, rest.substr(0, rest.find(' ')), limits));
}

// The bytes as the server reads them: one request, within the server's limits.
void route_parsed_request(std::string_view input) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(body_limit);
  parser.eager(true);
  boost::beast::error_code ec;
  while (!input.empty() && !parser.is_done()) {
    const auto used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    if (ec == http::error::need_more || used == 0) break;  // the server would wait for more
    if (ec) return;  // the server answers 400, 413 or 431 and closes
    input.remove_prefix(used);
  }
  if (!parser.is_header_done()) return;
  const auto& request = parser.get();
  check_route(request.method(), asyncscope::find_route(request.method(), request.target(), limits));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  route_request_line(input);
  route_parsed_request(input);
  return 0;
}
