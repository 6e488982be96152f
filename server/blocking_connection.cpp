#include "blocking_connection.hpp"

#include "logging.hpp"

#include <spdlog/spdlog.h>

namespace asyncscope {

blocking_connection::~blocking_connection() {
  disconnect();
}

db_outcome blocking_connection::run(const db_query& query, const request_info& req) {
  if (mysql_ != nullptr && closed_while_idle(mysql_)) {
    spdlog::info("{} connection #{} was closed by the database while idle; reconnecting", req,
                 number_);
    disconnect();
  }
  if (mysql_ == nullptr) {
    if (auto failed = connect(); !failed.ok()) {
      spdlog::info("{} {}", req, failed.message);
      return failed;
    }
    spdlog::info("{} connection #{} opened for {}", req, number_, this_thread_name());
  }
  spdlog::info("{} {} sent on connection #{}; {} blocks until the database answers", req,
               sql_of(query.which), number_, this_thread_name());
  auto outcome = execute(query);  // a plain call: this thread waits inside it, in recv()
  spdlog::info("{} {}", req, outcome_text(query.which, outcome));
  if (outcome.unreachable()) disconnect();  // reconnect at the next statement
  return outcome;
}

db_outcome blocking_connection::open() {
  if (mysql_ != nullptr) return {};
  return connect();
}

db_outcome blocking_connection::connect() {
  const auto& settings = db_.settings;
  MYSQL* mysql = new_mysql_handle(settings, false);
  if (mysql == nullptr) return {.error = 2008, .message = "out of memory for a connection"};
  const auto& url = settings.url;
  if (mysql_real_connect(mysql, url.host.c_str(), url.user.c_str(), url.password.c_str(),
                         url.database.c_str(), url.port, nullptr, connect_flags) == nullptr) {
    auto failed = failure_of(mysql, fmt::format("cannot connect to {}", url.without_password()));
    mysql_close(mysql);
    return failed;
  }
  mysql_ = mysql;
  number_ = ++db_.connections_opened;
  if (!db_.tables_ready) {
    if (auto failed = create_tables(); !failed.ok()) {
      disconnect();
      return failed;
    }
  }
  return {};
}

// CREATE TABLE IF NOT EXISTS, once per server (per connection until one succeeds).
db_outcome blocking_connection::create_tables() {
  for (const auto which : {statement::create_tasks_table, statement::create_dones_table}) {
    auto outcome = execute({.which = which});
    if (!outcome.ok()) return outcome;
    spdlog::info("{} (on connection #{}): {}", sql_of(which), number_,
                 outcome.warnings > 0 ? "the table was already there" : "created it");
  }
  db_.tables_ready = true;
  return {};
}

db_outcome blocking_connection::execute(const db_query& query) {
  db_outcome failure;
  MYSQL_STMT* stmt = prepared(query.which, failure);
  if (stmt == nullptr) return failure;
  bound_parameters parameters{query};
  if (mysql_stmt_bind_param(stmt, parameters.binds()) != 0 || mysql_stmt_execute(stmt) != 0) {
    return failure_of(stmt, sql_of(query.which));
  }
  if (query.which != statement::list_tasks) return success_of(mysql_, stmt);
  bound_task_row row;
  if (mysql_stmt_bind_result(stmt, row.binds()) != 0 || mysql_stmt_store_result(stmt) != 0) {
    return failure_of(stmt, sql_of(query.which));
  }
  db_outcome listed;
  int fetched = 0;
  while ((fetched = mysql_stmt_fetch(stmt)) == 0 || fetched == MYSQL_DATA_TRUNCATED) {
    listed.rows.push_back(row.take());
  }
  if (fetched == 1) listed = failure_of(stmt, sql_of(query.which));
  mysql_stmt_free_result(stmt);
  return listed;
}

// Each statement is prepared on its first use on this connection, then reused.
MYSQL_STMT* blocking_connection::prepared(statement which, db_outcome& failure) {
  auto& stmt = prepared_[static_cast<std::size_t>(which)];
  if (stmt != nullptr) return stmt;
  MYSQL_STMT* fresh = mysql_stmt_init(mysql_);
  if (fresh == nullptr) {
    failure = failure_of(mysql_, "mysql_stmt_init");
    return nullptr;
  }
  const auto sql = sql_of(which);
  if (mysql_stmt_prepare(fresh, sql.data(), sql.size()) != 0) {
    failure = failure_of(fresh, sql);
    mysql_stmt_close(fresh);
    return nullptr;
  }
  stmt = fresh;
  return stmt;
}

void blocking_connection::disconnect() {
  for (auto& stmt : prepared_) {
    if (stmt != nullptr) mysql_stmt_close(stmt);
    stmt = nullptr;
  }
  if (mysql_ != nullptr) mysql_close(mysql_);
  mysql_ = nullptr;
}

blocking_connection& per_thread_connections::for_this_thread() {
  const std::lock_guard lock{mutex_};
  auto& mine = connections_[std::this_thread::get_id()];
  if (!mine) mine = std::make_unique<blocking_connection>(db_);
  return *mine;
}

}  // namespace asyncscope
