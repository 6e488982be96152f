#pragma once
// Which endpoint a request asks for and with what parameters: a pure function of method and
// target, so every rule about bad input can be unit-tested without a socket.

#include "lesson.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include <string>
#include <string_view>
#include <variant>

namespace asyncscope {

// What `?sleep=` (and /async-cpu's `?work=`) may be, from --sleep and --max-sleep.
struct sleep_limits {
  double default_sleep = 0;
  double max_sleep = 0;
};

// A call to one of the lesson's endpoints.
struct lesson_route {
  lesson_endpoint which;
  std::string_view path;  // the endpoint's canonical path, e.g. "/async-endpoint"
  double sleep = 0;       // seconds of simulated I/O, or of computation for /async-cpu
};

// The pages that watch the server rather than take part in the lesson.
enum class watch_route {
  health,     // GET /healthz
  metrics,    // GET /metrics
  dashboard,  // GET /
  events,     // GET /events: the dashboard's live stream
  requests,   // GET /requests: the requests in flight, and where each one is
  trace,      // GET /trace?seconds=S: the flight recorder, as Chrome trace-event JSON
};

// POST /fire?endpoint=/async-wrong&count=3&sleep=1: the dashboard's buttons.
struct fire_route {
  lesson_route lesson;  // which endpoint, and the sleep (or work) each request asks for
  int count = 1;
};

// A request for the database lesson's ToDo API; its method, id and body are read with the rest
// of it (todo_routes.hpp's parse_todo_request).
struct todo_call {
  std::string_view path;  // the flavour's path whatever the action: "/async/tasks"
};

struct route_error {
  boost::beast::http::status status;
  std::string error;        // short code: "not_found", "bad_sleep", ...
  std::string detail;       // one sentence for a person
  std::string_view path{};  // the endpoint's path, when the path was known
  std::string_view allowed{};  // for a 405: the methods the path takes ("GET, HEAD")
};

using route = std::variant<lesson_route, watch_route, fire_route, todo_call, route_error>;

// The most requests one click on the dashboard may fire (its buttons fire 1, 3 or 50); the
// fire budget (fire_budget.hpp) bounds their seconds.
inline constexpr int max_fire_count = 100;

// HEAD is routed like GET (the session leaves the body out). The target may be in origin form
// ("/async-wrong?sleep=1") or absolute form ("http://127.0.0.1:8000/async-wrong?sleep=1").
route find_route(boost::beast::http::verb method, std::string_view target,
                 const sleep_limits& limits);

// The authority of an absolute-form target ("127.0.0.1:8000"), which then stands in for the
// Host header (RFC 9112, 3.2.2); empty for any other form.
std::string_view target_authority(std::string_view target);

// The route's path for logs and metrics labels; a static string.
const char* route_label(const route& r);

// The target that asks for `lesson` with its sleep: "/async-cpu?work=0.5".
std::string lesson_target(const lesson_route& lesson);

}  // namespace asyncscope
