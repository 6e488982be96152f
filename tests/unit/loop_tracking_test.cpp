// How the blocking detector learns, from Asio's handler tracking alone, which request a handler
// works for and when a loop thread left its loop (common/loop_tracking.hpp). Real Asio, one
// io_context run on the test's own thread.

#include "loop_tracking.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace tracking = asyncscope::loop_tracking;
using namespace std::chrono_literals;

namespace {

// A coroutine's end: what escaped it fails the test.
void fail_on_exception(std::exception_ptr escaped) {
  if (!escaped) return;
  try {
    std::rethrow_exception(escaped);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the coroutine threw: " << e.what();
  }
}

// Makes the test's thread a watched loop thread for the test, and no longer after it (the
// state is the test's own; the next test must not see it).
class LoopTrackingOnAWatchedThread : public ::testing::Test {
 protected:
  LoopTrackingOnAWatchedThread() { tracking::watched_thread = &state; }
  ~LoopTrackingOnAWatchedThread() override {
    tracking::watched_thread = nullptr;
    tracking::set_current_request({});
  }
  tracking::loop_thread_state state{};
};

// What the loop thread's state said while a handler ran.
struct seen_state {
  std::int64_t busy_since_ns = 0;
  std::uint64_t request_id = 0;
  const char* endpoint = nullptr;
};

seen_state look_at(const tracking::loop_thread_state& state) {
  return {state.busy_since_ns.load(), state.request_id.load(), state.endpoint.load()};
}

std::vector<std::pair<tracking::loop_thread_state*, std::chrono::nanoseconds>> came_back_calls;

void record_came_back(tracking::loop_thread_state& state, std::chrono::nanoseconds busy) {
  came_back_calls.emplace_back(&state, busy);
}

}  // namespace

TEST(LoopTracking, AHandlerWorksForTheRequestThatStartedItsOperation) {
  asio::io_context loop;
  tracking::set_current_request({7, "/async-wrong"});
  tracking::request_tag seen;
  asio::post(loop, [&] { seen = tracking::current_request; });
  tracking::set_current_request({});  // the thread moves on to other work before the loop runs
  loop.run();
  EXPECT_EQ(seen.id, 7u);
  EXPECT_STREQ(seen.endpoint, "/async-wrong");
  EXPECT_EQ(tracking::current_request.id, 0u) << "after the handler, the thread's own tag is back";
}

TEST(LoopTracking, AHandlerStartedOutsideAnyRequestWorksForNone) {
  asio::io_context loop;
  tracking::request_tag seen{99, "/stale"};
  asio::post(loop, [&] { seen = tracking::current_request; });
  loop.run();
  EXPECT_EQ(seen.id, 0u);
  EXPECT_EQ(seen.endpoint, nullptr);
}

// Two requests' coroutines take turns on one thread; after every co_await each is still tagged
// with its own request, not with whichever ran last.
TEST(LoopTracking, ACoroutineKeepsItsRequestAcrossEveryCoAwait) {
  asio::io_context loop;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;  // (request, tag after a co_await)
  const auto request = [&](std::uint64_t id) -> asio::awaitable<void> {
    asio::steady_timer timer{co_await asio::this_coro::executor};
    for (int step = 0; step < 3; ++step) {
      timer.expires_after(1ms);
      co_await timer.async_wait(asio::use_awaitable);
      seen.emplace_back(id, tracking::current_request.id);
    }
  };
  for (const std::uint64_t id : {1, 2}) {
    tracking::set_current_request({id, "/async-endpoint"});
    asio::co_spawn(loop, request(id), fail_on_exception);
  }
  tracking::set_current_request({});
  loop.run();
  ASSERT_EQ(seen.size(), 6u);
  for (const auto& [id, tag] : seen) EXPECT_EQ(tag, id);
}

TEST_F(LoopTrackingOnAWatchedThread, WhileAHandlerRunsTheThreadIsAwayAndNamesItsRequest) {
  asio::io_context loop;
  tracking::set_current_request({7, "/async-wrong"});
  seen_state during;
  const auto before = tracking::steady_now_ns();
  asio::post(loop, [&] { during = look_at(state); });
  tracking::set_current_request({});
  loop.run();
  EXPECT_GE(during.busy_since_ns, before);
  EXPECT_LE(during.busy_since_ns, tracking::steady_now_ns());
  EXPECT_EQ(during.request_id, 7u);
  EXPECT_STREQ(during.endpoint, "/async-wrong");
  const auto after = look_at(state);
  EXPECT_EQ(after.busy_since_ns, 0) << "back in the loop";
  EXPECT_EQ(after.request_id, 0u);
  EXPECT_EQ(after.endpoint, nullptr);
  EXPECT_EQ(tracking::this_thread.depth, 0);
}

// asio::dispatch from inside a handler runs the next handler at once, inside the first: the
// thread left its loop once, when the outer one began, and is back only when the outer one ends.
TEST_F(LoopTrackingOnAWatchedThread, AHandlerRunInsideAnotherDoesNotRestartTheClock) {
  asio::io_context loop;
  seen_state outer, inner, outer_after_inner;
  asio::post(loop, [&] {
    outer = look_at(state);
    tracking::set_current_request({8, "/async-endpoint"});
    asio::dispatch(loop, [&] { inner = look_at(state); });
    outer_after_inner = look_at(state);
  });
  loop.run();
  EXPECT_NE(outer.busy_since_ns, 0);
  EXPECT_EQ(inner.busy_since_ns, outer.busy_since_ns);
  EXPECT_EQ(inner.request_id, 8u) << "the inner handler works for the request that dispatched it";
  EXPECT_EQ(outer_after_inner.busy_since_ns, outer.busy_since_ns) << "still away";
  EXPECT_EQ(look_at(state).busy_since_ns, 0);
}

TEST_F(LoopTrackingOnAWatchedThread, OnlyAHandlerThatKeptTheThreadAwayLongEnoughIsReported) {
  came_back_calls.clear();
  state.report_after = 20ms;
  state.came_back = &record_came_back;
  asio::io_context loop;
  asio::post(loop, [] {});                                      // quick
  asio::post(loop, [] { std::this_thread::sleep_for(30ms); });  // longer than report_after
  loop.run();
  ASSERT_EQ(came_back_calls.size(), 1u);
  EXPECT_EQ(came_back_calls[0].first, &state);
  EXPECT_GE(came_back_calls[0].second, 30ms);
}

TEST_F(LoopTrackingOnAWatchedThread, AHandlerThatThrowsStillBringsTheThreadBack) {
  asio::io_context loop;
  tracking::set_current_request({4, "/async-wrong"});
  asio::post(loop, [] { throw std::runtime_error("a handler failed"); });
  tracking::set_current_request({3, "/outer"});
  EXPECT_THROW(loop.run(), std::runtime_error);
  EXPECT_EQ(state.busy_since_ns.load(), 0);
  EXPECT_EQ(tracking::this_thread.depth, 0);
  EXPECT_EQ(tracking::current_request.id, 3u) << "the thread's own tag is back";
}
