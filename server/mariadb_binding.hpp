#pragma once
// Connector/C's side of db_query.hpp, shared by both drivers: the MYSQL_BIND arrays that carry
// a query's parameters in and a task row out, and the connection's options.

#include "db_query.hpp"
#include "mariadb_url.hpp"

#include <mysql.h>

#include <array>
#include <string>

namespace asyncscope {

// How the server reaches the database; both drivers connect with these.
struct db_connection_settings {
  mariadb_url url;
  unsigned connect_timeout_s = 5;  // --db-timeout
  // How long one answer may take: the longest ?sleep= plus --db-timeout. Past it the connection
  // counts as lost (a database that hangs rather than goes away).
  unsigned answer_timeout_s = 65;
};

// A new MYSQL handle with the options both drivers use: TCP even for "localhost", utf8mb4, the
// timeouts; `non_blocking` for the async driver.
MYSQL* new_mysql_handle(const db_connection_settings& settings, bool non_blocking);

// The flags for mysql_real_connect: UPDATE reports the rows it found, not only those it changed.
inline constexpr unsigned long connect_flags = CLIENT_FOUND_ROWS;

// The query's parameters, bound in the order its SQL names them.
class bound_parameters {
 public:
  explicit bound_parameters(const db_query& query);
  bound_parameters(const bound_parameters&) = delete;
  bound_parameters& operator=(const bound_parameters&) = delete;
  MYSQL_BIND* binds() { return binds_.data(); }

 private:
  std::array<MYSQL_BIND, 2> binds_{};
  std::int64_t id_;
  double seconds_;
  unsigned long title_length_;
};

// One row of list_tasks, fetched into fixed buffers.
class bound_task_row {
 public:
  bound_task_row();
  bound_task_row(const bound_task_row&) = delete;
  bound_task_row& operator=(const bound_task_row&) = delete;
  MYSQL_BIND* binds() { return binds_.data(); }
  task_row take() const;

 private:
  std::array<MYSQL_BIND, 3> binds_{};
  long long id_ = 0;
  std::array<char, 4 * 1024> title_{};  // VARCHAR(1024) in utf8mb4: at most 4 bytes a character
  unsigned long title_length_ = 0;
  long long done_ = 0;
};

// The outcome of a statement that failed, from the handle's error.
db_outcome failure_of(MYSQL* mysql, std::string_view context);
db_outcome failure_of(MYSQL_STMT* stmt, std::string_view context);

// The outcome of a statement that ran and returned no rows.
db_outcome success_of(MYSQL* mysql, MYSQL_STMT* stmt);

}  // namespace asyncscope
