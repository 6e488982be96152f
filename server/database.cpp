#include "database.hpp"

#include <fmt/format.h>
#include <poll.h>

namespace asyncscope {

bool closed_while_idle(MYSQL* mysql) {
  pollfd socket{
      .fd = static_cast<int>(mysql_get_socket(mysql)), .events = POLLIN | POLLRDHUP, .revents = 0};
  return poll(&socket, 1, 0) != 0;  // readable, hung up, or not a socket any more
}

std::string outcome_text(statement which, const db_outcome& outcome) {
  if (!outcome.ok()) return fmt::format("error {}: {}", outcome.error, outcome.message);
  switch (which) {
    case statement::list_tasks:
      return fmt::format("{} row{} back", outcome.rows.size(), outcome.rows.size() == 1 ? "" : "s");
    case statement::slow_query:
      return "the database slept; its answer is back";
    case statement::create_task:
      return fmt::format("inserted, id {}", outcome.new_id);
    default:
      return fmt::format("{} row{} matched", outcome.matched, outcome.matched == 1 ? "" : "s");
  }
}

}  // namespace asyncscope
