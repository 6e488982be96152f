#pragma once
// Which ToDo request this is: a pure function of method, target and body, so that every rule
// about bad input is unit-tested without a socket or a database.
//
//   GET    /P/tasks            list
//   POST   /P/tasks            create        {"title": "..."}
//   PUT    /P/tasks/{id}       rename        {"title": "..."}
//   DELETE /P/tasks/{id}       delete
//   PUT    /P/tasks/{id}/done  mark done
//   DELETE /P/tasks/{id}/done  unmark done
// for P = sync, async, async-wrong; any of them takes ?sleep=SECONDS.

#include "lesson_paths.hpp"
#include "todo_answer.hpp"

#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace asyncscope {

// The three flavours: the same API, waiting for the database in three different places.
enum class todo_flavour { sync, async, async_wrong };

// Their paths, sync_tasks_path and the others, are in lesson_paths.hpp: the client names them too.

enum class todo_action { list, create, rename, remove, mark_done, unmark_done };

struct todo_route {
  todo_flavour flavour = todo_flavour::sync;
  // "/async/tasks" whatever the action: the label in logs, metrics and the blocking detector's
  // warnings. Points at one of the constants above, so it lives as long as the program.
  std::string_view path;
  todo_action action = todo_action::list;
  std::int64_t id = 0;  // rename, remove, mark_done, unmark_done
  std::string title{};  // create, rename
  double sleep = 0;     // ?sleep=: seconds the database waits (DO SLEEP) before the work
};

// The largest title, in bytes of UTF-8: the column is VARCHAR(1024).
inline constexpr std::size_t max_title_bytes = 1024;
// The largest id: the column is a signed 32-bit INT.
inline constexpr std::int64_t max_task_id = 2'147'483'647;

// The action in a few words, for logs: "list", "create", "rename 7", "done 7".
std::string action_text(const todo_route& route);

// The flavour's path when `target` is a ToDo path ("/async/tasks/3/done?sleep=1" gives
// "/async/tasks"); empty otherwise.
std::string_view todo_path_of(std::string_view target);

// The request as a ToDo route, or the answer to give at once: 404 for an unknown path, 405 for a
// method the path does not take, 422 for a bad id, body or ?sleep= (FastAPI's validation error).
// Call it only for targets todo_path_of recognises.
std::variant<todo_route, todo_answer> parse_todo_request(boost::beast::http::verb method,
                                                         std::string_view target,
                                                         std::string_view body, double max_sleep);

}  // namespace asyncscope
