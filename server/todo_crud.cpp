#include "todo_crud.hpp"

#include "json_text.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace asyncscope {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr unsigned duplicate_key = 1062;       // ER_DUP_ENTRY: dones already has the id
constexpr unsigned no_such_parent_row = 1452;  // ER_NO_REFERENCED_ROW_2: tasks has no such id

todo_answer ok(const json::value& body) {
  return {.status = http::status::ok, .body = to_json_text(body)};
}

todo_answer task_not_found() {
  return todo_error(http::status::not_found, "not_found", "Task not found");
}

}  // namespace

db_query todo_query(const todo_route& route) {
  switch (route.action) {
    case todo_action::list:
      return {.which = statement::list_tasks};
    case todo_action::create:
      return {.which = statement::create_task, .title = route.title};
    case todo_action::rename:
      return {.which = statement::rename_task, .id = route.id, .title = route.title};
    case todo_action::remove:
      return {.which = statement::delete_task, .id = route.id};
    case todo_action::mark_done:
      return {.which = statement::mark_done, .id = route.id};
    case todo_action::unmark_done:
      return {.which = statement::unmark_done, .id = route.id};
  }
  return {.which = statement::list_tasks};
}

db_query slow_query(double seconds) {
  return {.which = statement::slow_query, .seconds = seconds};
}

todo_answer todo_answer_for(const todo_route& route, const db_outcome& outcome) {
  if (outcome.unreachable()) {
    auto answer =
        todo_error(http::status::service_unavailable, "database_unavailable", outcome.message);
    answer.retry_after = true;
    return answer;
  }
  if (route.action == todo_action::mark_done && outcome.error == duplicate_key) {
    return todo_error(http::status::bad_request, "already_done", "Done already exists");
  }
  if (route.action == todo_action::mark_done && outcome.error == no_such_parent_row) {
    return task_not_found();
  }
  if (!outcome.ok()) {
    return todo_error(http::status::service_unavailable, "database_error",
                      fmt::format("the database refused the statement: error {}: {}", outcome.error,
                                  outcome.message));
  }
  switch (route.action) {
    case todo_action::list: {
      json::array tasks;
      for (const auto& row : outcome.rows) {
        tasks.push_back({{"id", row.id}, {"title", row.title}, {"done", row.done}});
      }
      return ok(tasks);
    }
    case todo_action::create:
      return ok({{"id", outcome.new_id}, {"title", route.title}, {"done", false}});
    case todo_action::rename:
      if (outcome.matched == 0) return task_not_found();
      return ok({{"id", route.id}, {"title", route.title}});
    case todo_action::remove:
      if (outcome.matched == 0) return task_not_found();
      return ok(nullptr);
    case todo_action::mark_done:
      return ok({{"id", route.id}});
    case todo_action::unmark_done:
      if (outcome.matched == 0) {
        return todo_error(http::status::not_found, "not_found", "Done not found");
      }
      return ok(nullptr);
  }
  return task_not_found();
}

todo_answer no_database_answer() {
  return todo_error(http::status::service_unavailable, "no_database",
                    "the server was started without a database; start one with scripts/db.sh "
                    "and pass the URL it prints: asyncscope-server --db URL");
}

todo_answer no_free_connection_answer(int pool_size, std::chrono::milliseconds waited) {
  auto answer =
      todo_error(http::status::service_unavailable, "no_free_connection",
                 fmt::format("all {} database connections (--db-connections) stayed busy for {} s "
                             "(--db-wait-timeout); try again shortly",
                             pool_size, waited.count() / 1000.0));
  answer.retry_after = true;
  return answer;
}

}  // namespace asyncscope
