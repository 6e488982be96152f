#include "routes.hpp"

#include "lesson_paths.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/url/parse.hpp>

#include <array>

namespace asyncscope {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view health_path = "/healthz";

struct lesson_path {
  std::string_view path;
  lesson_endpoint which;
};

constexpr std::array routes_to_lesson{
    lesson_path{sync_endpoint_path, lesson_endpoint::sync_endpoint},
    lesson_path{async_endpoint_path, lesson_endpoint::async_endpoint},
    lesson_path{async_wrong_path, lesson_endpoint::async_wrong},
};

route_error method_not_allowed(http::verb method, std::string_view path) {
  return {http::status::method_not_allowed, "method_not_allowed",
          fmt::format("{} is not allowed on {}; use GET", std::string_view(http::to_string(method)),
                      path)};
}

route_error bad_sleep(std::string_view given, const sleep_limits& limits) {
  return {http::status::bad_request, "bad_sleep",
          fmt::format("sleep must be a number of seconds from 0 to {}, got '{}'", limits.max_sleep,
                      given)};
}

}  // namespace

route find_route(http::verb method, std::string_view target, const sleep_limits& limits) {
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    return route_error{http::status::bad_request, "bad_target",
                       fmt::format("'{}' is not a valid request target", target)};
  }
  if (url->path() == health_path) {
    if (method != http::verb::get) return method_not_allowed(method, health_path);
    return health_check{};
  }
  const auto found = std::find_if(routes_to_lesson.begin(), routes_to_lesson.end(),
                                  [&](const lesson_path& e) { return e.path == url->path(); });
  if (found == routes_to_lesson.end()) {
    return route_error{
        http::status::not_found, "not_found",
        fmt::format("nothing at {}; try /sync-endpoint, /async-endpoint, /async-wrong or /healthz",
                    std::string(url->path()))};
  }
  if (method != http::verb::get) return method_not_allowed(method, found->path);

  lesson_route result{found->which, found->path, limits.default_sleep};
  bool seen_sleep = false;
  for (const auto& param : url->params()) {
    if (param.key != "sleep") continue;
    if (seen_sleep) {
      return route_error{http::status::bad_request, "bad_sleep", "sleep is given more than once"};
    }
    seen_sleep = true;
    const auto seconds = parse_seconds(param.value);
    if (!seconds || *seconds > limits.max_sleep) return bad_sleep(param.value, limits);
    result.sleep = *seconds;
  }
  return result;
}

}  // namespace asyncscope
