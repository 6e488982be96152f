#include "mariadb_binding.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace asyncscope {

MYSQL* new_mysql_handle(const db_connection_settings& settings, bool non_blocking) {
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return nullptr;
  const unsigned protocol = MYSQL_PROTOCOL_TCP;  // "localhost" would mean the Unix socket
  mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &settings.connect_timeout_s);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &settings.answer_timeout_s);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &settings.answer_timeout_s);
  if (non_blocking) {
    // The library runs each call on a stack of its own, which it can leave mid-call to let us
    // wait; a roomy one, for the sanitizers' interceptors that run on it too.
    const std::size_t stack_bytes = 256 * 1024;
    mysql_options(mysql, MYSQL_OPT_NONBLOCK, &stack_bytes);
  }
  return mysql;
}

bound_parameters::bound_parameters(const db_query& query)
    : id_(query.id), seconds_(query.seconds), title_length_(query.title.size()) {
  MYSQL_BIND title{};
  title.buffer_type = MYSQL_TYPE_STRING;
  title.buffer = const_cast<char*>(query.title.data());  // only read: it is an input
  title.buffer_length = title_length_;
  title.length = &title_length_;
  MYSQL_BIND id{};
  id.buffer_type = MYSQL_TYPE_LONGLONG;
  id.buffer = &id_;
  MYSQL_BIND seconds{};
  seconds.buffer_type = MYSQL_TYPE_DOUBLE;
  seconds.buffer = &seconds_;
  switch (query.which) {
    case statement::slow_query:
      binds_[0] = seconds;
      break;
    case statement::create_task:
      binds_[0] = title;
      break;
    case statement::rename_task:
      binds_[0] = title;
      binds_[1] = id;
      break;
    case statement::delete_task:
    case statement::mark_done:
    case statement::unmark_done:
      binds_[0] = id;
      break;
    case statement::list_tasks:
    case statement::create_tasks_table:
    case statement::create_dones_table:
      break;
  }
}

bound_task_row::bound_task_row() {
  binds_[0].buffer_type = MYSQL_TYPE_LONGLONG;
  binds_[0].buffer = &id_;
  binds_[1].buffer_type = MYSQL_TYPE_STRING;
  binds_[1].buffer = title_.data();
  binds_[1].buffer_length = title_.size();
  binds_[1].length = &title_length_;
  binds_[2].buffer_type = MYSQL_TYPE_LONGLONG;
  binds_[2].buffer = &done_;
}

task_row bound_task_row::take() const {
  const auto length = std::min<std::size_t>(title_length_, title_.size());
  return {.id = id_, .title = std::string(title_.data(), length), .done = done_ != 0};
}

db_outcome failure_of(MYSQL* mysql, std::string_view context) {
  return {.error = mysql_errno(mysql),
          .message = fmt::format("{}: {}", context, mysql_error(mysql))};
}

db_outcome failure_of(MYSQL_STMT* stmt, std::string_view context) {
  return {.error = mysql_stmt_errno(stmt),
          .message = fmt::format("{}: {}", context, mysql_stmt_error(stmt))};
}

db_outcome success_of(MYSQL* mysql, MYSQL_STMT* stmt) {
  const auto affected = mysql_stmt_affected_rows(stmt);
  return {.matched = affected == static_cast<my_ulonglong>(-1) ? 0 : affected,
          .new_id = mysql_stmt_insert_id(stmt),
          .warnings = mysql_warning_count(mysql)};
}

}  // namespace asyncscope
