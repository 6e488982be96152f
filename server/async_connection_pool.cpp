#include "async_connection_pool.hpp"

#include "awaitable_result.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace asyncscope {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

// A coroutine waiting for a connection. Its timer doubles as a condition variable: whoever gives
// a connection back sets it to expire at once (on the waiter's own executor, where it is safe).
struct waiter {
  explicit waiter(asio::any_io_executor executor) : executor(executor), wake(executor) {}
  asio::any_io_executor executor;
  asio::steady_timer wake;
  std::unique_ptr<async_connection> handed;  // set, under the pool's mutex, when one is given
};

}  // namespace

struct async_connection_pool::state {
  state(database& db, asio::any_io_executor loop, int size) : db(db), loop(loop), size(size) {}

  // Takes `connection` back: to the longest waiter if there is one, else to the idle ones.
  void give_back(std::unique_ptr<async_connection> connection) {
    const std::lock_guard lock{mutex};
    if (waiters.empty()) {
      idle.push_back(std::move(connection));
      return;
    }
    auto next = std::move(waiters.front());
    waiters.pop_front();
    next->handed = std::move(connection);
    asio::post(next->executor,
               [next] { next->wake.expires_at(asio::steady_timer::time_point::min()); });
  }

  database& db;
  asio::any_io_executor loop;
  const int size;
  std::mutex mutex;
  int created = 0;
  std::vector<std::unique_ptr<async_connection>> idle;
  std::deque<std::shared_ptr<waiter>> waiters;
};

async_connection_pool::async_connection_pool(database& db, asio::any_io_executor loop, int size,
                                             std::chrono::milliseconds wait_timeout)
    : state_(std::make_shared<state>(db, loop, size)), wait_timeout_(wait_timeout) {}

async_connection_pool::~async_connection_pool() {
  const std::lock_guard lock{state_->mutex};
  state_->idle.clear();  // closes them, while the event loop they were watched on still exists
}

int async_connection_pool::size() const {
  return state_->size;
}

awaitable<async_connection_pool::lease> async_connection_pool::take(const request_info& req) {
  auto& pool = *state_;
  const auto executor = co_await asio::this_coro::executor;  // where this coroutine runs
  std::shared_ptr<waiter> me;
  {
    const std::lock_guard lock{pool.mutex};
    const int busy = pool.created - static_cast<int>(pool.idle.size());
    if (!pool.idle.empty()) {
      auto connection = std::move(pool.idle.back());
      pool.idle.pop_back();
      spdlog::info("{} connection #{} taken from the pool ({} of {} now lent out)", req,
                   connection->number(), busy + 1, pool.size);
      co_return lease{state_, std::move(connection), req};
    }
    if (pool.created < pool.size) {
      ++pool.created;
      spdlog::info("{} a new pool connection taken ({} of {} now lent out)", req, busy + 1,
                   pool.size);
      co_return lease{state_, std::make_unique<async_connection>(pool.db, pool.loop), req};
    }
    me = std::make_shared<waiter>(executor);
    me->wake.expires_after(wait_timeout_);
    pool.waiters.push_back(me);
    spdlog::info("{} all {} pool connections are lent out; awaiting one (at most {} ms)", req,
                 pool.size, wait_timeout_.count());
  }
  for (;;) {
    co_await me->wake.async_wait(as_result);  // given one, or timed out
    const std::lock_guard lock{pool.mutex};
    if (me->handed) {
      spdlog::info("{} connection #{} handed over by a request that finished", req,
                   me->handed->number());
      co_return lease{state_, std::move(me->handed), req};
    }
    if (asio::steady_timer::clock_type::now() >= me->wake.expiry()) {
      pool.waiters.erase(std::find(pool.waiters.begin(), pool.waiters.end(), me));
      co_return lease{};
    }
  }
}

async_connection_pool::lease::lease(std::shared_ptr<state> pool,
                                    std::unique_ptr<async_connection> connection,
                                    const request_info& req)
    : pool_(std::move(pool)), connection_(std::move(connection)), req_(&req) {}

async_connection_pool::lease::~lease() {
  if (!connection_) return;  // moved from
  spdlog::info("{} connection #{} given back to the pool", *req_, connection_->number());
  pool_->give_back(std::move(connection_));
}

}  // namespace asyncscope
