#pragma once
// The non-blocking driver, like aiomysql: the same Connector/C calls through their _start and
// _cont halves. When a call would block, it returns what it waits for (the socket readable or
// writable, or a timeout); the coroutine awaits that with Asio and calls _cont. No thread waits.

#include "database.hpp"
#include "lesson.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <optional>

namespace asyncscope {

class async_connection {
 public:
  // `loop`: the event loop's executor, which watches the connection's socket.
  async_connection(database& db, boost::asio::any_io_executor loop);
  ~async_connection();
  async_connection(const async_connection&) = delete;
  async_connection& operator=(const async_connection&) = delete;

  // Runs one statement, connecting first if need be. The coroutine is suspended while the
  // database works; the thread goes back to the loop.
  boost::asio::awaitable<db_outcome> run(const db_query& query, const request_info& req);

  int number() const { return number_; }

 private:
  boost::asio::awaitable<db_outcome> connect();
  boost::asio::awaitable<db_outcome> create_tables();
  boost::asio::awaitable<db_outcome> execute(const db_query& query);
  boost::asio::awaitable<MYSQL_STMT*> prepared(statement which, db_outcome& failure);
  template <typename Start, typename Continue>
  boost::asio::awaitable<void> complete(Start start, Continue resume);
  boost::asio::awaitable<int> socket_ready(int waiting_for);
  boost::asio::posix::stream_descriptor* watched_socket();
  void disconnect();

  database& db_;
  boost::asio::any_io_executor loop_;
  int number_ = 0;
  MYSQL* mysql_ = nullptr;
  bool connecting_ = false;  // the socket may change between two waits while connecting
  std::array<MYSQL_STMT*, statement_count> prepared_{};
  // A duplicate of the library's socket descriptor: Asio closes its own copy, the library its.
  std::optional<boost::asio::posix::stream_descriptor> socket_;
  int watched_fd_ = -1;  // the library's descriptor that socket_ duplicates
  boost::asio::steady_timer timeout_;
};

}  // namespace asyncscope
