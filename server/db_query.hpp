#pragma once
// What the server asks the database, and what comes back: the same for the blocking driver
// (blocking_connection) and the non-blocking one (async_connection). Every statement is prepared
// once per connection; a request's values are bound to its `?` parameters, never spliced into
// the SQL.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace asyncscope {

enum class statement : std::size_t {
  slow_query,  // DO SLEEP(?): the database itself waits, for ?sleep=
  list_tasks,
  create_task,
  rename_task,
  delete_task,
  mark_done,
  unmark_done,
  create_tasks_table,
  create_dones_table,
};
inline constexpr std::size_t statement_count = 9;

// The statement's SQL, with `?` where its parameters go.
std::string_view sql_of(statement which);

// One statement to run, with its parameters (those it does not take are ignored).
struct db_query {
  statement which;
  std::int64_t id = 0;
  std::string_view title{};
  double seconds = 0;
};

struct task_row {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
};

// What one statement did, or why it failed.
struct db_outcome {
  // 0; a server error (1xxx, e.g. 1062 for a duplicate key); or a client error (2xxx: the
  // connection could not be made, or was lost).
  unsigned error = 0;
  std::string message{};      // the error, for a person
  std::uint64_t matched = 0;  // rows an INSERT, UPDATE or DELETE found
  std::uint64_t new_id = 0;   // the id an INSERT gave
  unsigned warnings = 0;
  std::vector<task_row> rows{};  // what a SELECT returned

  bool ok() const { return error == 0; }
  // A client error: the database could not be reached, or the connection broke.
  bool unreachable() const { return error >= 2000 && error <= 2999; }
};

}  // namespace asyncscope
