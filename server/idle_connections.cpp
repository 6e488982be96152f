#include "idle_connections.hpp"

#include "awaitable_result.hpp"
#include "loop_tracking.hpp"

#include <sys/socket.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace asyncscope {

idle_connections::wait::wait(idle_connections& list, int socket)
    : list_(list),
      socket_(socket),
      deadline_ns_(loop_tracking::steady_now_ns() + list.timeout_.count()) {
  const std::lock_guard lock{list_.mutex_};
  older_ = list_.newest_;
  (older_ != nullptr ? older_->newer_ : list_.oldest_) = this;
  list_.newest_ = this;
  ++list_.size_;
}

idle_connections::wait::~wait() {
  const std::lock_guard lock{list_.mutex_};
  if (socket_ >= 0) list_.unlink(*this);  // not shut down by the sweep, which unlinks it itself
}

void idle_connections::unlink(wait& w) {
  (w.older_ != nullptr ? w.older_->newer_ : oldest_) = w.newer_;
  (w.newer_ != nullptr ? w.newer_->older_ : newest_) = w.older_;
  w.older_ = w.newer_ = nullptr;
  --size_;
}

std::size_t idle_connections::close_expired(std::int64_t now_ns) {
  const std::lock_guard lock{mutex_};
  std::size_t closed = 0;
  while (oldest_ != nullptr && oldest_->deadline_ns_ <= now_ns) {
    wait& expired = *oldest_;
    unlink(expired);
    // From this thread while the connection's read waits on another: the system call is safe
    // there, where the socket's Asio object is not. The socket stays open until the wait ends,
    // since the wait's destructor needs this lock first.
    ::shutdown(expired.socket_, SHUT_RDWR);
    expired.socket_ = -1;
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
  for (;;) {
    timer.expires_after(period());
    co_await timer.async_wait(as_result);
    close_expired(loop_tracking::steady_now_ns());
  }
}

}  // namespace asyncscope
