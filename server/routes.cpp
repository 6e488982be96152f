#include "routes.hpp"

#include "lesson_paths.hpp"
#include "seconds.hpp"
#include "todo_routes.hpp"

#include <fmt/format.h>
#include <boost/url/grammar/error.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace asyncscope {

namespace http = boost::beast::http;

namespace {

struct lesson_path {
  std::string_view path;
  lesson_endpoint which;
  std::string_view duration_param = "sleep";  // the query parameter that sets its duration
};

constexpr std::array routes_to_lesson{
    lesson_path{sync_endpoint_path, lesson_endpoint::sync_endpoint},
    lesson_path{async_endpoint_path, lesson_endpoint::async_endpoint},
    lesson_path{async_wrong_path, lesson_endpoint::async_wrong},
    lesson_path{async_offload_path, lesson_endpoint::async_offload},
    lesson_path{async_forgot_await_path, lesson_endpoint::async_forgot_await},
    lesson_path{async_cpu_path, lesson_endpoint::async_cpu, "work"},
};

struct watch_path {
  std::string_view path;
  watch_route which;
};

constexpr std::array routes_to_watch{
    watch_path{"/healthz", watch_route::health},
    watch_path{"/metrics", watch_route::metrics},
    watch_path{"/", watch_route::dashboard},
    watch_path{"/events", watch_route::events},
    watch_path{"/requests", watch_route::requests},
    watch_path{"/trace", watch_route::trace},
};

constexpr std::string_view fire_path = "/fire";

route_error method_not_allowed(http::verb method, std::string_view path, std::string_view allowed) {
  return {http::status::method_not_allowed, "method_not_allowed",
          fmt::format("{} is not allowed on {}; use {}", std::string_view(http::to_string(method)),
                      path, allowed),
          path, allowed};
}

constexpr std::string_view get_or_head = "GET, HEAD";

// The path and query of a target in origin form, or of one in absolute form (http://host/path).
boost::system::result<boost::urls::url_view> origin_part(std::string_view target) {
  if (target.starts_with('/')) return boost::urls::parse_origin_form(target);
  const auto absolute = boost::urls::parse_absolute_uri(target);
  if (!absolute || absolute->scheme_id() != boost::urls::scheme::http || !absolute->has_authority()) {
    return boost::urls::grammar::error::invalid;
  }
  const auto path = absolute->encoded_path();  // an absolute-URI has no fragment: the rest
  if (path.empty()) return boost::urls::parse_origin_form("/");  // "http://host" means "/"
  return boost::urls::parse_origin_form(target.substr(static_cast<std::size_t>(path.data() - target.data())));
}

route_error bad_request(std::string error, std::string detail, std::string_view path) {
  return {http::status::bad_request, std::move(error), std::move(detail), path};
}

const lesson_path* find_lesson(std::string_view path) {
  const auto found = std::find_if(routes_to_lesson.begin(), routes_to_lesson.end(),
                                  [&](const lesson_path& e) { return e.path == path; });
  return found == routes_to_lesson.end() ? nullptr : &*found;
}

// A part of a target decoded (in a query, with '+' as a space, as url.params() decodes it);
// copied into `storage` only when it holds something to decode, which clients seldom send: the
// lesson's requests are routed without a copy of their path or parameters.
std::string_view decoded(boost::urls::pct_string_view part, bool plus_is_space,
                         std::string& storage) {
  const bool plus_to_decode = plus_is_space && part.find('+') != part.npos;
  if (part.decoded_size() == part.size() && !plus_to_decode) return part;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = plus_is_space;
  storage = part.decode(opts);
  return storage;
}

// The lesson endpoint's duration from its query parameter (sleep=, or work= for /async-cpu).
std::variant<lesson_route, route_error> lesson_call(const lesson_path& lesson,
                                                    const boost::urls::url_view& url,
                                                    const sleep_limits& limits) {
  lesson_route result{lesson.which, lesson.path, limits.default_sleep};
  const auto param = lesson.duration_param;
  const auto code = [param] { return fmt::format("bad_{}", param); };  // made only when refused
  bool seen = false;
  for (const auto& p : url.encoded_params()) {
    std::string key_storage, value_storage;
    if (decoded(p.key, true, key_storage) != param) continue;
    if (seen)
      return bad_request(code(), fmt::format("{} is given more than once", param), lesson.path);
    seen = true;
    const auto value = decoded(p.value, true, value_storage);
    const auto seconds = parse_seconds(value);
    if (!seconds || *seconds > limits.max_sleep) {
      return bad_request(code(),
                         fmt::format("{} must be a number of seconds from 0 to {}, got '{}'", param,
                                     limits.max_sleep, value),
                         lesson.path);
    }
    result.sleep = *seconds;
  }
  return result;
}

// POST /fire: endpoint= names a lesson endpoint, count= how many, sleep= or work= as for it.
route fire_call(const boost::urls::url_view& url, const sleep_limits& limits) {
  const auto params = url.params();
  const auto endpoint = params.find("endpoint");
  const lesson_path* lesson = endpoint == params.end() ? nullptr : find_lesson((*endpoint).value);
  if (lesson == nullptr) {
    return bad_request("bad_endpoint",
                       "endpoint must be one of the lesson's paths, e.g. endpoint=/async-wrong",
                       fire_path);
  }
  auto call = lesson_call(*lesson, url, limits);
  if (auto* e = std::get_if<route_error>(&call)) return *e;
  fire_route fire{std::get<lesson_route>(call), 1};
  if (const auto count = params.find("count"); count != params.end()) {
    const std::string text = (*count).value;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fire.count);
    if (ec != std::errc{} || end != text.data() + text.size() || fire.count < 1 ||
        fire.count > max_fire_count) {
      return bad_request(
          "bad_count",
          fmt::format("count must be a whole number from 1 to {}, got '{}'", max_fire_count, text),
          fire_path);
    }
  }
  return fire;
}

}  // namespace

route find_route(http::verb method, std::string_view target, const sleep_limits& limits) {
  if (method == http::verb::head) method = http::verb::get;  // the same answer, without a body
  const auto url = origin_part(target);
  if (!url) {
    return route_error{http::status::bad_request, "bad_target",
                       fmt::format("'{}' is not a valid request target", target)};
  }
  std::string path_storage;
  const auto path = decoded(url->encoded_path(), false, path_storage);
  // The lesson's paths first: they are what the server mostly serves, and no other route has
  // one of them.
  if (const auto* lesson = find_lesson(path)) {
    if (method != http::verb::get) return method_not_allowed(method, lesson->path, get_or_head);
    auto call = lesson_call(*lesson, *url, limits);
    if (auto* e = std::get_if<route_error>(&call)) return *e;
    return std::get<lesson_route>(call);
  }
  if (path == fire_path) {
    if (method != http::verb::post) return method_not_allowed(method, fire_path, "POST");
    return fire_call(*url, limits);
  }
  for (const auto& watch : routes_to_watch) {
    if (watch.path != path) continue;
    if (method != http::verb::get) return method_not_allowed(method, watch.path, get_or_head);
    return watch.which;
  }
  if (const auto todo_path = todo_path_of(target); !todo_path.empty()) return todo_call{todo_path};
  return route_error{
      http::status::not_found, "not_found",
      fmt::format("nothing at {}; try /sync-endpoint, /async-endpoint, /async-wrong, "
                  "/async-offload, /async-forgot-await, /async-cpu, /metrics, /requests, /trace, / "
                  "or /healthz",
                  path)};
}

std::string_view target_authority(std::string_view target) {
  if (target.starts_with('/')) return {};
  const auto absolute = boost::urls::parse_absolute_uri(target);
  if (!absolute || !absolute->has_authority()) return {};
  return absolute->encoded_authority();
}

const char* route_label(const route& r) {
  struct label {
    const char* operator()(const lesson_route& l) const { return l.path.data(); }
    const char* operator()(const fire_route&) const { return fire_path.data(); }
    const char* operator()(const todo_call& t) const { return t.path.data(); }
    const char* operator()(const route_error& e) const {
      return e.path.empty() ? "unmatched" : e.path.data();
    }
    const char* operator()(watch_route w) const {
      for (const auto& watch : routes_to_watch) {
        if (watch.which == w) return watch.path.data();
      }
      return "unmatched";
    }
  };
  return std::visit(label{}, r);
}

std::string lesson_target(const lesson_route& lesson) {
  const auto* path = find_lesson(lesson.path);
  return fmt::format("{}?{}={}", lesson.path, path ? path->duration_param : "sleep",
                     decimal_text(lesson.sleep));
}

}  // namespace asyncscope
