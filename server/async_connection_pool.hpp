#pragma once
// The bounded pool of non-blocking connections the async flavour borrows from, like
// SQLAlchemy's pool under aiomysql. At most --db-connections exist; a coroutine that finds them
// all lent out awaits one being given back, for --db-wait-timeout at most.

#include "async_connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace asyncscope {

class async_connection_pool {
  struct state;

 public:
  async_connection_pool(database& db, boost::asio::any_io_executor loop, int size,
                        std::chrono::milliseconds wait_timeout);
  ~async_connection_pool();
  async_connection_pool(const async_connection_pool&) = delete;
  async_connection_pool& operator=(const async_connection_pool&) = delete;

  // A connection on loan; it goes back to the pool when the lease ends. Empty when none was
  // free in time.
  class lease {
   public:
    lease() = default;
    lease(std::shared_ptr<state> pool, std::unique_ptr<async_connection> connection,
          const request_info& req);
    lease(lease&&) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    ~lease();
    explicit operator bool() const { return connection_ != nullptr; }
    async_connection* operator->() const { return connection_.get(); }
    async_connection& operator*() const { return *connection_; }

   private:
    std::shared_ptr<state> pool_;
    std::unique_ptr<async_connection> connection_;
    const request_info* req_ = nullptr;
  };

  // A free connection, at once or once one is given back; an empty lease if none is within
  // --db-wait-timeout.
  boost::asio::awaitable<lease> take(const request_info& req);

  int size() const;
  std::chrono::milliseconds wait_timeout() const { return wait_timeout_; }

 private:
  std::shared_ptr<state> state_;
  std::chrono::milliseconds wait_timeout_;
};

}  // namespace asyncscope
