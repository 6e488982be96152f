#pragma once
// What the ToDo routes run on, built once by main: the database, the blocking connections (one
// per thread) and the pool of non-blocking ones.

#include "async_connection_pool.hpp"
#include "blocking_connection.hpp"
#include "db_options.hpp"
#include "request_feed.hpp"
#include "worker_pool.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <optional>

namespace asyncscope {

struct todo_settings {
  db_options db;
  double max_sleep = 60;   // the largest ?sleep=
  int max_pool_queue = 0;  // --max-pool-queue, for /sync/tasks
};

class todo_backend {
 public:
  // `loop`: the event loop, which watches the non-blocking connections' sockets.
  todo_backend(const todo_settings& settings, worker_pool& pool, request_feed* feed,
               boost::asio::any_io_executor loop);

  // At start: connects once and makes sure the tables exist, saying so in the log. Blocks for
  // --db-timeout at most. A database that is down now is not fatal: each request tries again.
  void check_database();

  bool has_database() const { return db_ != nullptr; }
  per_thread_connections& blocking() { return *blocking_; }
  async_connection_pool& async() { return *async_; }

  const todo_settings settings;
  worker_pool& pool;
  request_feed* const feed;  // may be null

 private:
  std::unique_ptr<database> db_;  // null without --db
  std::optional<per_thread_connections> blocking_;
  std::optional<async_connection_pool> async_;
};

}  // namespace asyncscope
