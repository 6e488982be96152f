// The idle list: a wait past its deadline has its socket shut down (the peer sees the connection
// close) and says so when it ends, one not yet due is left alone, the oldest go first, a wait
// that ends leaves the list, and the sweep on a loop does this by itself.

#include "idle_connections.hpp"
#include "loop_tracking.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <optional>
#include <thread>

using namespace asyncscope;
using namespace std::chrono_literals;

namespace {

// Two connected sockets: the server's end, which the list may shut down, and the client's.
class socket_pair {
 public:
  socket_pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends_), 0); }
  ~socket_pair() {
    ::close(ends_[0]);
    ::close(ends_[1]);
  }
  int server() const { return ends_[0]; }
  // Whether the client's end sees the connection closed (a read returns 0 at once), rather than
  // a connection still open with nothing to read.
  bool client_sees_close() const {
    char byte = 0;
    return ::recv(ends_[1], &byte, 1, MSG_DONTWAIT) == 0;
  }

 private:
  int ends_[2] = {-1, -1};
};

std::int64_t in(std::chrono::nanoseconds from_now) {
  return loop_tracking::steady_now_ns() + from_now.count();
}

}  // namespace

TEST(IdleConnections, AWaitPastItsDeadlineIsShutDownAndOneNotDueIsLeftAlone) {
  idle_connections idle{1h};
  socket_pair connection;
  const idle_connections::wait waiting{idle, connection.server()};
  EXPECT_EQ(idle.size(), 1u);
  EXPECT_EQ(idle.close_expired(in(0s)), 0u);
  EXPECT_FALSE(connection.client_sees_close());
  EXPECT_EQ(idle.close_expired(in(1h + 1s)), 1u);
  EXPECT_TRUE(connection.client_sees_close());
  EXPECT_EQ(idle.size(), 0u);
}

TEST(IdleConnections, TheOldestGoFirstAndAnEndedWaitLeavesTheList) {
  idle_connections idle{1h};
  socket_pair older, ended, newer;
  const idle_connections::wait first{idle, older.server()};
  std::optional<idle_connections::wait> second{std::in_place, idle, ended.server()};
  const auto between = in(1h);  // after the first two deadlines, before the third's
  std::this_thread::sleep_for(1ms);
  const idle_connections::wait third{idle, newer.server()};
  second.reset();  // its request came: off the list, and never shut down
  EXPECT_EQ(idle.size(), 2u);
  EXPECT_EQ(idle.close_expired(between + std::chrono::nanoseconds(500us).count()), 1u);
  EXPECT_TRUE(older.client_sees_close());
  EXPECT_FALSE(ended.client_sees_close());
  EXPECT_FALSE(newer.client_sees_close());
  EXPECT_EQ(idle.close_expired(in(2h)), 1u);
  EXPECT_TRUE(newer.client_sees_close());
  EXPECT_FALSE(ended.client_sees_close());
}

TEST(IdleConnections, AWaitThatWasShutDownSaysSoWhenItEnds) {
  idle_connections idle{1h};
  socket_pair swept, answered;
  idle_connections::wait late{idle, swept.server()};
  idle_connections::wait in_time{idle, answered.server()};
  EXPECT_TRUE(in_time.end());  // its request came in time: it may run
  EXPECT_EQ(idle.close_expired(in(2h)), 1u);
  EXPECT_FALSE(late.end());  // whatever its read brought, the connection is gone
  EXPECT_EQ(idle.size(), 0u);
}

TEST(IdleConnections, OnePassShutsDownAtMostItsShareTheNextTheRest) {
  idle_connections idle{1h};
  socket_pair a, b, c;
  const idle_connections::wait wa{idle, a.server()}, wb{idle, b.server()}, wc{idle, c.server()};
  EXPECT_EQ(idle.close_expired(in(2h), 2), 2u);
  EXPECT_TRUE(a.client_sees_close());
  EXPECT_TRUE(b.client_sees_close());
  EXPECT_FALSE(c.client_sees_close());
  EXPECT_EQ(idle.close_expired(in(2h), 2), 1u);
  EXPECT_TRUE(c.client_sees_close());
}

TEST(IdleConnections, TheSweepOnALoopClosesAnIdleConnectionSoonAfterItsTimeout) {
  boost::asio::io_context loop;
  idle_connections idle{200ms};
  boost::asio::co_spawn(loop, idle.sweep(), [](std::exception_ptr escaped) {
    if (escaped) ADD_FAILURE() << "the sweep ended by an exception";
  });
  socket_pair connection;
  idle_connections::wait waiting{idle, connection.server()};
  loop.run_for(20ms);
  EXPECT_FALSE(connection.client_sees_close());  // before its timeout
  loop.run_for(600ms);  // the timeout, a period of 50 ms, and room for a busy machine
  EXPECT_TRUE(connection.client_sees_close());
  EXPECT_FALSE(waiting.end());
}

TEST(IdleConnections, ThePeriodIsAQuarterOfTheTimeoutWithin10MsAnd1s) {
  EXPECT_EQ(idle_connections{2s}.period(), 500ms);
  EXPECT_EQ(idle_connections{5ms}.period(), 10ms);
  EXPECT_EQ(idle_connections{1h}.period(), 1s);
}
