#include "idle_connections.hpp"

#include "awaitable_result.hpp"
#include "loop_tracking.hpp"

#include <sys/socket.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace asyncscope {

idle_connections::wait::wait(idle_connections& list, int socket) : list_(list), socket_(socket) {
  const std::lock_guard lock{list_.mutex_};
  deadline_ns_ = loop_tracking::steady_now_ns() + list_.timeout_.count();
  older_ = list_.newest_;
  (older_ != nullptr ? older_->newer_ : list_.oldest_) = this;
  list_.newest_ = this;
  ++list_.size_;
}

bool idle_connections::wait::end() {
  const std::lock_guard lock{list_.mutex_};
  if (listed_) list_.unlink(*this);
  return !shut_down_;
}

void idle_connections::unlink(wait& w) {
  (w.older_ != nullptr ? w.older_->newer_ : oldest_) = w.newer_;
  (w.newer_ != nullptr ? w.newer_->older_ : newest_) = w.older_;
  w.older_ = w.newer_ = nullptr;
  w.listed_ = false;
  --size_;
}

std::size_t idle_connections::close_expired(std::int64_t now_ns, std::size_t most) {
  const std::lock_guard lock{mutex_};
  std::size_t closed = 0;
  while (closed < most && oldest_ != nullptr && oldest_->deadline_ns_ <= now_ns) {
    wait& expired = *oldest_;
    unlink(expired);
    // Maybe from another thread than the connection's, whose read is waiting: the system call
    // is safe there, where the socket's Asio object is not. The socket stays open until the
    // wait ends, since ending it takes this lock first.
    ::shutdown(expired.socket_, SHUT_RDWR);
    expired.shut_down_ = true;
    ++closed;
  }
  return closed;
}

std::size_t idle_connections::size() const {
  const std::lock_guard lock{mutex_};
  return size_;
}

std::chrono::nanoseconds idle_connections::period() const {
  return std::clamp<std::chrono::nanoseconds>(timeout_ / 4, std::chrono::milliseconds(10),
                                              std::chrono::seconds(1));
}

boost::asio::awaitable<void> idle_connections::sweep() {
  boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor};
  for (bool more = false;;) {
    timer.expires_after(more ? std::chrono::nanoseconds(0) : period());
    co_await timer.async_wait(as_result);
    more = close_expired(loop_tracking::steady_now_ns()) == max_closed_at_once;
  }
}

}  // namespace asyncscope
