// The watchdog's warnings (server/loop_watch): when the first comes, how often it repeats, and
// the line the loop thread writes once it is back. The test's thread is the loop thread; a
// handler on it stands for the block, and inside it the test calls check() with times of its
// own, so the cadence does not depend on how busy the machine is.

#include "loop_watch.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace tracking = asyncscope::loop_tracking;
using asyncscope::loop_watch;
using namespace std::chrono_literals;

namespace {

// A loop_watch over the test's own thread, "loop-0", that keeps every warning it gives. The
// watchdog thread is not started: the test calls check() itself.
class LoopWatch : public ::testing::Test {
 protected:
  explicit LoopWatch(std::chrono::milliseconds threshold = 100ms)
      : watch{threshold, [this](const std::string& text) { warnings.push_back(text); }} {
    watch.watch_this_thread("loop-0");
  }
  ~LoopWatch() override {
    tracking::watched_thread = nullptr;  // the watch's state goes with it
    tracking::set_current_request({});
  }

  // Runs `during_block` inside a handler working for `tag`, as a blocked loop would.
  template <typename F>
  void block(tracking::request_tag tag, F during_block) {
    tracking::set_current_request(tag);
    asio::post(loop, during_block);
    tracking::set_current_request({});
    loop.run();
    loop.restart();
  }

  // The time `away` after this thread left its loop; only inside block().
  static std::chrono::steady_clock::time_point away_for(std::chrono::nanoseconds away) {
    const std::chrono::nanoseconds since{tracking::watched_thread->busy_since_ns.load()};
    return std::chrono::steady_clock::time_point{since + away};
  }

  // The warnings given since the last call.
  std::vector<std::string> new_warnings() { return std::exchange(warnings, {}); }

  std::vector<std::string> warnings;
  loop_watch watch;
  asio::io_context loop;
};

using strings = std::vector<std::string>;

class LoopWatchWithALongThreshold : public LoopWatch {
 protected:
  LoopWatchWithALongThreshold() : LoopWatch(1500ms) {}
};

class LoopWatchWithAShortThreshold : public LoopWatch {
 protected:
  LoopWatchWithAShortThreshold() : LoopWatch(20ms) {}
};

}  // namespace

TEST_F(LoopWatch, FirstWarnsAtTheThresholdThenOncePerFurtherSecond) {
  std::vector<std::pair<int, strings>> seen;  // (ms away, warnings from that look)
  block({7, "/async-wrong"}, [&] {
    for (const int ms : {0, 50, 99, 100, 150, 999, 1000, 1001, 1999, 2000, 2999, 3000}) {
      watch.check(away_for(std::chrono::milliseconds(ms)));
      const auto given = new_warnings();
      if (!given.empty()) seen.emplace_back(ms, given);
    }
  });
  EXPECT_EQ(seen, (std::vector<std::pair<int, strings>>{
                      {100, {"loop-0 blocked 100 ms so far by /async-wrong #7"}},
                      {1000, {"loop-0 blocked 1000 ms so far by /async-wrong #7"}},
                      {2000, {"loop-0 blocked 2000 ms so far by /async-wrong #7"}},
                      {3000, {"loop-0 blocked 3000 ms so far by /async-wrong #7"}}}));
}

// A watchdog that wakes late (a busy machine) warns at once, with the time it sees, and keeps to
// whole seconds afterwards.
TEST_F(LoopWatch, ALateLookWarnsOnceWithTheTimeItSees) {
  strings seen;
  block({7, "/async-wrong"}, [&] {
    for (const int ms : {206, 250, 1500, 1900, 2000}) {
      watch.check(away_for(std::chrono::milliseconds(ms)));
    }
    seen = new_warnings();
  });
  EXPECT_EQ(seen, (strings{"loop-0 blocked 206 ms so far by /async-wrong #7",
                           "loop-0 blocked 1500 ms so far by /async-wrong #7",
                           "loop-0 blocked 2000 ms so far by /async-wrong #7"}));
}

TEST_F(LoopWatchWithALongThreshold, AThresholdOverASecondStillRepeatsOnWholeSeconds) {
  strings seen;
  block({2, "/async-cpu"}, [&] {
    for (const int ms : {1000, 1499, 1500, 1999, 2000, 3000}) {
      watch.check(away_for(std::chrono::milliseconds(ms)));
    }
    seen = new_warnings();
  });
  EXPECT_EQ(seen, (strings{"loop-0 blocked 1500 ms so far by /async-cpu #2",
                           "loop-0 blocked 2000 ms so far by /async-cpu #2",
                           "loop-0 blocked 3000 ms so far by /async-cpu #2"}));
}

TEST_F(LoopWatch, EachNewBlockWarnsAgainFromTheThreshold) {
  strings first, second;
  block({1, "/async-wrong"}, [&] {
    watch.check(away_for(1500ms));
    first = new_warnings();
  });
  block({2, "/async-wrong"}, [&] {
    new_warnings();  // the first one's, if a busy machine made it last past the threshold
    watch.check(away_for(100ms));
    second = new_warnings();
  });
  EXPECT_EQ(first, strings{"loop-0 blocked 1500 ms so far by /async-wrong #1"});
  EXPECT_EQ(second, strings{"loop-0 blocked 100 ms so far by /async-wrong #2"});
}

TEST_F(LoopWatch, AThreadBackInItsLoopIsNotWarnedAbout) {
  block({1, "/async-endpoint"}, [] {});
  new_warnings();
  watch.check(std::chrono::steady_clock::now() + 10s);
  EXPECT_EQ(new_warnings(), strings{});
}

TEST_F(LoopWatch, CodeOutsideAnyRequestIsNamedAsSuch) {
  strings seen;
  block({}, [&] {
    watch.check(away_for(100ms));
    seen = new_warnings();
  });
  EXPECT_EQ(seen, strings{"loop-0 blocked 100 ms so far by code outside any request"});
}

// The loop thread itself says how long it was gone, once it is back: real time here, so only
// its lower bound is certain.
TEST_F(LoopWatchWithAShortThreshold, BackInTheLoopTheThreadSaysHowLongItWasBlocked) {
  block({7, "/async-wrong"}, [] { std::this_thread::sleep_for(30ms); });
  const auto given = new_warnings();
  ASSERT_EQ(given.size(), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      given[0], m,
      std::regex(R"(loop-0 was blocked (\d+) ms by /async-wrong #7; it is back in the loop)")))
      << given[0];
  EXPECT_GE(std::stoi(m[1]), 30);
}

// The request named is the one that held the thread while it was away, though the handler
// made another current before it returned.
TEST_F(LoopWatchWithAShortThreshold, BackInTheLoopItNamesTheRequestThatHeldItNotTheOneCurrentNow) {
  block({7, "/async-wrong"}, [] {
    std::this_thread::sleep_for(30ms);
    tracking::set_current_request({});
  });
  block({7, "/async-wrong"}, [] {
    std::this_thread::sleep_for(30ms);
    tracking::set_current_request({8, "/async-endpoint"});
  });
  const auto given = new_warnings();
  ASSERT_EQ(given.size(), 2u);
  for (const auto& text : given) {
    EXPECT_TRUE(std::regex_match(
        text, std::regex(R"(loop-0 was blocked \d+ ms by /async-wrong #7; it is back in the loop)")))
        << text;
  }
}

// And the other way round: a moment of one request, then another that blocks.
TEST_F(LoopWatchWithAShortThreshold, BackInTheLoopItNamesTheRequestThatRanLongestInTheHandler) {
  block({7, "/async-endpoint"}, [] {
    tracking::set_current_request({8, "/async-wrong"});
    std::this_thread::sleep_for(30ms);
  });
  const auto given = new_warnings();
  ASSERT_EQ(given.size(), 1u);
  EXPECT_TRUE(std::regex_match(
      given[0], std::regex(R"(loop-0 was blocked \d+ ms by /async-wrong #8; it is back in the loop)")))
      << given[0];
}

TEST_F(LoopWatchWithALongThreshold, AShortHandlerSaysNothing) {
  block({7, "/async-endpoint"}, [] {});
  EXPECT_EQ(new_warnings(), strings{});
}

TEST_F(LoopWatchWithAShortThreshold, TheReportShowsTheBlockWhileItLastsAndItsTotalAfter) {
  std::vector<asyncscope::loop_thread_report> during;
  block({7, "/async-wrong"}, [&] {
    std::this_thread::sleep_for(30ms);  // past the threshold
    during = watch.report();
  });
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(during[0].thread, "loop-0");
  EXPECT_GE(during[0].blocked_now, 0.03);
  EXPECT_EQ(during[0].blocked_by, "/async-wrong #7");
  const auto after = watch.report();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].blocked_now, 0);
  EXPECT_EQ(after[0].blocked_by, "");
  EXPECT_GE(after[0].blocked_total, 0.03);
}
