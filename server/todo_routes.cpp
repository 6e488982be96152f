#include "todo_routes.hpp"

#include "json_text.hpp"
#include "seconds.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <array>
#include <charconv>
#include <iterator>
#include <optional>
#include <vector>

namespace asyncscope {

namespace http = boost::beast::http;
namespace json = boost::json;

todo_answer todo_error(http::status status, std::string error, std::string detail) {
  return {.status = status,
          .body = to_json_text(json::value_from(error_body{std::move(error), std::move(detail)}))};
}

namespace {

struct flavour_prefix {
  std::string_view segment;  // the path's first segment
  todo_flavour flavour;
  std::string_view path;
};

constexpr std::array flavours{
    flavour_prefix{"sync", todo_flavour::sync, sync_tasks_path},
    flavour_prefix{"async", todo_flavour::async, async_tasks_path},
    flavour_prefix{"async-wrong", todo_flavour::async_wrong, async_wrong_tasks_path},
};

// The decoded path segments, or nothing if the target is not a ToDo path.
std::optional<std::vector<std::string>> todo_segments(std::string_view target,
                                                      const flavour_prefix** flavour) {
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  std::vector<std::string> segments(url->segments().begin(), url->segments().end());
  if (segments.size() < 2 || segments[1] != "tasks") return std::nullopt;
  for (const auto& f : flavours) {
    if (segments[0] != f.segment) continue;
    *flavour = &f;
    return segments;
  }
  return std::nullopt;
}

todo_answer validation_error(std::string detail) {
  return todo_error(http::status::unprocessable_entity, "validation", std::move(detail));
}

// {id} in the path: a whole number from 1 to the column's largest.
std::optional<std::int64_t> task_id_of(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id < 1 || id > max_task_id) {
    return std::nullopt;
  }
  return id;
}

// The body's title, or why there is none: {"title": "..."}, as the book's TaskCreate.
std::variant<std::string, todo_answer> title_of(std::string_view body) {
  constexpr std::string_view example = R"(, as in {"title": "laundry"})";
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (ec) {
    return validation_error(fmt::format("the body must be a JSON object{}; it is not JSON ({})",
                                        example, ec.message()));
  }
  if (!value.is_object()) {
    return validation_error(fmt::format("the body must be a JSON object{}", example));
  }
  const auto* title = value.as_object().if_contains("title");
  if (title == nullptr) return validation_error(fmt::format("title is required{}", example));
  if (!title->is_string()) return validation_error("title must be a string");
  const auto& text = title->as_string();
  if (text.size() > max_title_bytes) {
    return validation_error(fmt::format("title must be at most {} bytes of UTF-8, got {}",
                                        max_title_bytes, text.size()));
  }
  return std::string(text);
}

// ?sleep=: seconds from 0 to --max-sleep; 0 when absent.
std::variant<double, todo_answer> sleep_of(const boost::urls::params_view& params,
                                           double max_sleep) {
  double sleep = 0;
  bool seen = false;
  for (const auto& p : params) {
    if (p.key != "sleep") continue;
    if (seen) return validation_error("sleep is given more than once");
    seen = true;
    const auto seconds = parse_seconds(p.value);
    if (!seconds || *seconds > max_sleep) {
      return validation_error(
          fmt::format("sleep must be a number of seconds from 0 to {}, got '{}'",
                      decimal_text(max_sleep), p.value));
    }
    sleep = *seconds;
  }
  return sleep;
}

todo_answer method_not_allowed(http::verb method, std::string_view allowed) {
  auto answer = todo_error(http::status::method_not_allowed, "method_not_allowed",
                           fmt::format("{} is not allowed here; use {}",
                                       std::string_view(http::to_string(method)), allowed));
  answer.allow = allowed;
  return answer;
}

}  // namespace

std::string action_text(const todo_route& route) {
  switch (route.action) {
    case todo_action::list:
      return "list the tasks";
    case todo_action::create:
      return "create a task";
    case todo_action::rename:
      return fmt::format("rename task {}", route.id);
    case todo_action::remove:
      return fmt::format("delete task {}", route.id);
    case todo_action::mark_done:
      return fmt::format("mark task {} done", route.id);
    case todo_action::unmark_done:
      return fmt::format("mark task {} not done", route.id);
  }
  return "";
}

std::string_view todo_path_of(std::string_view target) {
  const flavour_prefix* flavour = nullptr;
  return todo_segments(target, &flavour) ? flavour->path : std::string_view{};
}

std::variant<todo_route, todo_answer> parse_todo_request(http::verb method, std::string_view target,
                                                         std::string_view body, double max_sleep) {
  const flavour_prefix* flavour = nullptr;
  const auto segments = todo_segments(target, &flavour);
  if (!segments) return todo_error(http::status::not_found, "not_found", "Not Found");
  todo_route route{.flavour = flavour->flavour, .path = flavour->path};
  const std::size_t below = segments->size() - 2;  // segments after /P/tasks
  const bool done = below == 2 && (*segments)[3] == "done";
  if (below == 0) {
    if (method == http::verb::get) {
      route.action = todo_action::list;
    } else if (method == http::verb::post) {
      route.action = todo_action::create;
    } else {
      return method_not_allowed(method, "GET, POST");
    }
  } else if (below == 1 || done) {
    if (method == http::verb::put) {
      route.action = done ? todo_action::mark_done : todo_action::rename;
    } else if (method == http::verb::delete_) {
      route.action = done ? todo_action::unmark_done : todo_action::remove;
    } else {
      return method_not_allowed(method, "PUT, DELETE");
    }
    const auto id = task_id_of((*segments)[2]);
    if (!id) {
      // Echoed as the client sent it, percent-encoded: the decoded bytes need not be text.
      const auto sent =
          *std::next(boost::urls::parse_origin_form(target)->encoded_segments().begin(), 2);
      return validation_error(
          fmt::format("the task id must be a whole number from 1 to {}, got '{}'", max_task_id,
                      std::string_view(sent)));
    }
    route.id = *id;
  } else {
    return todo_error(http::status::not_found, "not_found", "Not Found");
  }
  if (route.action == todo_action::create || route.action == todo_action::rename) {
    auto title = title_of(body);
    if (auto* refused = std::get_if<todo_answer>(&title)) return std::move(*refused);
    route.title = std::move(std::get<std::string>(title));
  }
  auto sleep = sleep_of(boost::urls::parse_origin_form(target)->params(), max_sleep);
  if (auto* refused = std::get_if<todo_answer>(&sleep)) return std::move(*refused);
  route.sleep = std::get<double>(sleep);
  return route;
}

}  // namespace asyncscope
