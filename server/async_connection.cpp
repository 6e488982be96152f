#include "async_connection.hpp"

#include "awaitable_result.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace asyncscope {

namespace asio = boost::asio;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;

async_connection::async_connection(database& db, asio::any_io_executor loop)
    : db_(db), loop_(loop), timeout_(loop) {}

async_connection::~async_connection() {
  disconnect();
}

awaitable<db_outcome> async_connection::run(const db_query& query, const request_info& req) {
  if (mysql_ != nullptr && closed_while_idle(mysql_)) {
    spdlog::info("{} connection #{} was closed by the database while idle; reconnecting", req,
                 number_);
    disconnect();
  }
  if (mysql_ == nullptr) {
    spdlog::info("{} connecting to {} without blocking; the loop serves others meanwhile", req,
                 db_.settings.url.without_password());
    if (auto failed = co_await connect(); !failed.ok()) {
      spdlog::info("{} {}", req, failed.message);
      co_return failed;
    }
    spdlog::info("{} connection #{} opened (non-blocking)", req, number_);
  }
  spdlog::info(
      "{} {} sent on connection #{}; awaiting the answer on its socket (fd {}), the "
      "loop serves others meanwhile",
      req, sql_of(query.which), number_, mysql_get_socket(mysql_));
  auto outcome = co_await execute(query);  // suspends; the loop runs others meanwhile
  spdlog::info("{} {}", req, outcome_text(query.which, outcome));
  if (outcome.unreachable()) disconnect();  // reconnect at the next statement
  co_return outcome;
}

// Drives one Connector/C call to its end: `start` begins it; while it answers with what it
// waits for, the coroutine awaits that and `resume`s it with what happened.
template <typename Start, typename Continue>
awaitable<void> async_connection::complete(Start start, Continue resume) {
  for (int waiting_for = start(); waiting_for != 0;) {
    waiting_for = resume(co_await socket_ready(waiting_for));
  }
}

// Awaits what the library waits for; returns what happened, in the library's terms.
awaitable<int> async_connection::socket_ready(int waiting_for) {
  const bool reading = (waiting_for & MYSQL_WAIT_READ) != 0;
  const int happened = reading ? MYSQL_WAIT_READ : MYSQL_WAIT_WRITE;
  auto* socket = watched_socket();
  if (socket == nullptr) co_return MYSQL_WAIT_TIMEOUT;  // makes the library give up
  const auto wait =
      reading ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write;
  if ((waiting_for & MYSQL_WAIT_TIMEOUT) == 0) {
    const auto [error] = co_await socket->async_wait(wait, as_result);
    co_return error ? MYSQL_WAIT_TIMEOUT : happened;
  }
  timeout_.expires_after(std::chrono::milliseconds(mysql_get_timeout_value_ms(mysql_)));
  const auto first =
      co_await (socket->async_wait(wait, as_result) || timeout_.async_wait(as_result));
  if (first.index() == 1) co_return MYSQL_WAIT_TIMEOUT;
  co_return std::get<0>(std::get<0>(first)) ? MYSQL_WAIT_TIMEOUT : happened;
}

// The library's socket, as Asio watches it. While connecting, the library may close a socket
// and open another with the same number, so each wait takes a fresh duplicate then.
asio::posix::stream_descriptor* async_connection::watched_socket() {
  const int fd = static_cast<int>(mysql_get_socket(mysql_));
  if (socket_ && watched_fd_ == fd && !connecting_) return &*socket_;
  socket_.reset();
  watched_fd_ = -1;
  if (fd < 0) return nullptr;
  const int copy = ::dup(fd);
  if (copy < 0) {
    spdlog::warn("WARN connection #{}: cannot duplicate its socket to watch it: {}", number_,
                 std::strerror(errno));
    return nullptr;
  }
  boost::system::error_code ec;
  socket_.emplace(loop_);
  socket_->assign(copy, ec);
  if (ec) {
    ::close(copy);
    socket_.reset();
    spdlog::warn("WARN connection #{}: the event loop cannot watch its socket: {}", number_,
                 ec.message());
    return nullptr;
  }
  watched_fd_ = fd;
  return &*socket_;
}

awaitable<db_outcome> async_connection::connect() {
  const auto& settings = db_.settings;
  mysql_ = new_mysql_handle(settings, true);
  if (mysql_ == nullptr) co_return db_outcome{.error = 2008, .message = "out of memory"};
  const auto& url = settings.url;
  MYSQL* connected = nullptr;
  connecting_ = true;
  co_await complete(
      [&] {
        return mysql_real_connect_start(&connected, mysql_, url.host.c_str(), url.user.c_str(),
                                        url.password.c_str(), url.database.c_str(), url.port,
                                        nullptr, connect_flags);
      },
      [&](int ready) { return mysql_real_connect_cont(&connected, mysql_, ready); });
  connecting_ = false;
  if (connected == nullptr) {
    auto failed = failure_of(mysql_, fmt::format("cannot connect to {}", url.without_password()));
    disconnect();
    co_return failed;
  }
  number_ = ++db_.connections_opened;
  if (!db_.tables_ready) {
    if (auto failed = co_await create_tables(); !failed.ok()) {
      disconnect();
      co_return failed;
    }
  }
  co_return db_outcome{};
}

// CREATE TABLE IF NOT EXISTS, once per server (per connection until one succeeds).
awaitable<db_outcome> async_connection::create_tables() {
  for (const auto which : {statement::create_tasks_table, statement::create_dones_table}) {
    auto outcome = co_await execute({.which = which});
    if (!outcome.ok()) co_return outcome;
    spdlog::info("{} (on connection #{}): {}", sql_of(which), number_,
                 outcome.warnings > 0 ? "the table was already there" : "created it");
  }
  db_.tables_ready = true;
  co_return db_outcome{};
}

awaitable<db_outcome> async_connection::execute(const db_query& query) {
  db_outcome failure;
  MYSQL_STMT* stmt = co_await prepared(query.which, failure);
  if (stmt == nullptr) co_return failure;
  bound_parameters parameters{query};
  if (mysql_stmt_bind_param(stmt, parameters.binds()) != 0) {
    co_return failure_of(stmt, sql_of(query.which));
  }
  int failed = 0;
  co_await complete([&] { return mysql_stmt_execute_start(&failed, stmt); },
                    [&](int ready) { return mysql_stmt_execute_cont(&failed, stmt, ready); });
  if (failed != 0) co_return failure_of(stmt, sql_of(query.which));
  if (query.which != statement::list_tasks) co_return success_of(mysql_, stmt);
  bound_task_row row;
  if (mysql_stmt_bind_result(stmt, row.binds()) != 0) {
    co_return failure_of(stmt, sql_of(query.which));
  }
  co_await complete([&] { return mysql_stmt_store_result_start(&failed, stmt); },
                    [&](int ready) { return mysql_stmt_store_result_cont(&failed, stmt, ready); });
  if (failed != 0) co_return failure_of(stmt, sql_of(query.which));
  db_outcome listed;
  int fetched = 0;  // the rows are all here now: fetching them does no I/O
  while ((fetched = mysql_stmt_fetch(stmt)) == 0 || fetched == MYSQL_DATA_TRUNCATED) {
    listed.rows.push_back(row.take());
  }
  if (fetched == 1) listed = failure_of(stmt, sql_of(query.which));
  mysql_stmt_free_result(stmt);
  co_return listed;
}

// Each statement is prepared on its first use on this connection, then reused.
awaitable<MYSQL_STMT*> async_connection::prepared(statement which, db_outcome& failure) {
  auto& stmt = prepared_[static_cast<std::size_t>(which)];
  if (stmt != nullptr) co_return stmt;
  MYSQL_STMT* fresh = mysql_stmt_init(mysql_);
  if (fresh == nullptr) {
    failure = failure_of(mysql_, "mysql_stmt_init");
    co_return nullptr;
  }
  const auto sql = sql_of(which);
  int failed = 0;
  co_await complete(
      [&] { return mysql_stmt_prepare_start(&failed, fresh, sql.data(), sql.size()); },
      [&](int ready) { return mysql_stmt_prepare_cont(&failed, fresh, ready); });
  if (failed != 0) {
    failure = failure_of(fresh, sql);
    mysql_stmt_close(fresh);
    co_return nullptr;
  }
  stmt = fresh;
  co_return stmt;
}

// The statements and the connection, closed; Asio's copy of the socket first, while the
// library's is still open.
void async_connection::disconnect() {
  socket_.reset();
  watched_fd_ = -1;
  for (auto& stmt : prepared_) {
    if (stmt != nullptr) mysql_stmt_close(stmt);
    stmt = nullptr;
  }
  if (mysql_ != nullptr) mysql_close(mysql_);
  mysql_ = nullptr;
}

}  // namespace asyncscope
