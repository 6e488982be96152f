#include "todo_backend.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

namespace asyncscope {

todo_backend::todo_backend(const todo_settings& settings, worker_pool& pool, request_feed* feed,
                           boost::asio::any_io_executor loop)
    : settings(settings), pool(pool), feed(feed) {
  if (!settings.db.url) return;
  mysql_library_init(0, nullptr, nullptr);  // once, before any thread makes a connection
  const auto timeout = static_cast<unsigned>(settings.db.timeout.count());
  db_ = std::make_unique<database>();
  db_->settings = {
      .url = *settings.db.url,
      .connect_timeout_s = timeout,
      .answer_timeout_s = static_cast<unsigned>(std::ceil(settings.max_sleep)) + timeout};
  blocking_.emplace(*db_);
  async_.emplace(*db_, loop, settings.db.connections, settings.db.wait_timeout);
}

void todo_backend::check_database() {
  if (!db_) {
    spdlog::info(
        "no --db: the ToDo routes (/sync/tasks, /async/tasks, /async-wrong/tasks) answer 503 "
        "until the server is started with one (scripts/db.sh starts a database and prints it)");
    return;
  }
  blocking_connection first{*db_};
  if (const auto failed = first.open(); !failed.ok()) {
    spdlog::warn("WARN {}; the ToDo routes answer 503 until it can be reached", failed.message);
    return;
  }
  spdlog::info("database {} reachable; the tables are ready", db_->settings.url.without_password());
}

}  // namespace asyncscope
