#pragma once
// The blocking driver: plain Connector/C calls, like pymysql. Each call holds the calling thread
// until the database answers.

#include "database.hpp"
#include "lesson.hpp"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace asyncscope {

class blocking_connection {
 public:
  explicit blocking_connection(database& db) : db_(db) {}
  ~blocking_connection();
  blocking_connection(const blocking_connection&) = delete;
  blocking_connection& operator=(const blocking_connection&) = delete;

  // Runs one statement, connecting first if need be. Blocks this thread until the answer.
  db_outcome run(const db_query& query, const request_info& req);

  // Connects (and makes sure the tables exist) now rather than at the first statement: for the
  // server's start, which has no request to log for.
  db_outcome open();

  int number() const { return number_; }

 private:
  db_outcome connect();
  db_outcome create_tables();
  db_outcome execute(const db_query& query);
  MYSQL_STMT* prepared(statement which, db_outcome& failure);
  void disconnect();

  database& db_;
  int number_ = 0;
  MYSQL* mysql_ = nullptr;
  std::array<MYSQL_STMT*, statement_count> prepared_{};
};

// One blocking connection per thread that asks: each worker pool thread (/sync/tasks) and each
// loop thread (/async-wrong/tasks) keeps its own, so no two threads ever share one.
class per_thread_connections {
 public:
  explicit per_thread_connections(database& db) : db_(db) {}
  blocking_connection& for_this_thread();

 private:
  database& db_;
  std::mutex mutex_;
  std::map<std::thread::id, std::unique_ptr<blocking_connection>> connections_;
};

}  // namespace asyncscope
