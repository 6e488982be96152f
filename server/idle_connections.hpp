#pragma once
// Kept-alive connections waiting for their next request, and the one sweep that closes those
// idle past --keep-alive-timeout. A timer of its own per connection, armed before every wait and
// cancelled after it (Beast's stream timeout), cost the loop about 7 % of a keep-alive request's
// instructions: a timer queue insert, a cancel, and one more completion through the loop
// (docs/results.md). Here a wait is an entry put on a list and taken off it, and one timer serves
// every connection. Every loop thread may use it.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace asyncscope {

class idle_connections {
 public:
  explicit idle_connections(std::chrono::nanoseconds timeout) : timeout_(timeout) {}
  idle_connections(const idle_connections&) = delete;
  idle_connections& operator=(const idle_connections&) = delete;

  // One connection's wait, listed until it ends. Once it has lasted longer than the timeout, the
  // sweep shuts the socket down: the connection's read ends as if the client had closed, and the
  // client sees the connection close.
  class wait {
   public:
    wait(idle_connections& list, int socket);
    ~wait() { end(); }
    wait(const wait&) = delete;
    wait& operator=(const wait&) = delete;

    // Takes the wait off the list, once the read has ended. False if the sweep shut the socket
    // down first: then a request that arrived just before must not run, since its answer could
    // not be sent (a loop blocked past the deadline makes the two come due together).
    bool end();

   private:
    friend class idle_connections;
    idle_connections& list_;
    int socket_;
    bool listed_ = true;
    bool shut_down_ = false;
    std::int64_t deadline_ns_ = 0;  // steady clock
    wait* older_ = nullptr;         // the list runs oldest to newest, and so by deadline: every
    wait* newer_ = nullptr;         // wait gets the same timeout, its clock read under the lock
  };

  // Every period(), shuts down the connections past their deadline, until the executor stops.
  // Spawned once, on the loop.
  boost::asio::awaitable<void> sweep();

  // How long after its deadline a connection may wait at most: a quarter of the timeout, within
  // 10 ms and 1 s.
  std::chrono::nanoseconds period() const;

  // Shuts down the connections whose deadline is at or before `now_ns`, `most` at most (each is
  // a system call, made on the loop); returns how many.
  std::size_t close_expired(std::int64_t now_ns, std::size_t most = max_closed_at_once);

  // The most one pass of the sweep shuts down; the rest follow at once, in the next pass, with
  // the loop's other work in between.
  static constexpr std::size_t max_closed_at_once = 256;

  std::size_t size() const;

 private:
  void unlink(wait& w);

  const std::chrono::nanoseconds timeout_;
  mutable std::mutex mutex_;
  wait* oldest_ = nullptr;
  wait* newest_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace asyncscope
