// The flight recorder's pure parts: a thread's run log, whom a request waited behind, the
// Chrome trace JSON, and the names GET /requests and the watchdog print.

#include "blocking_site.hpp"
#include "requests_in_flight.hpp"
#include "run_log.hpp"
#include "trace_json.hpp"
#include "waited_behind.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <map>
#include <string>

namespace json = boost::json;
using namespace asyncscope;
using asyncscope::loop_tracking::handler_run;
using asyncscope::loop_tracking::run_log;

namespace {

constexpr std::int64_t ms = 1'000'000;  // nanoseconds

}  // namespace

TEST(RunLog, ReturnsTheRunsThatOverlapAnIntervalOldestFirst) {
  run_log log{"loop-0", 8};
  for (std::int64_t i = 0; i < 5; ++i)
    log.record({i * 10 * ms, i * 10 * ms + 5 * ms, 1 + static_cast<std::uint64_t>(i), "/x"});
  const auto runs = log.runs_between(12 * ms, 31 * ms);  // ends 15, 25, 35: starts 10, 20, 30
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].request_id, 2u);
  EXPECT_EQ(runs[2].request_id, 4u);
}

// The slot the next run will take is never read: its writer may be half-way through it.
TEST(RunLog, KeepsOnlyTheNewestRunsOnceFull) {
  run_log log{"loop-0", 4};
  for (std::uint64_t i = 1; i <= 10; ++i) {
    log.record({static_cast<std::int64_t>(i) * ms, static_cast<std::int64_t>(i) * ms + 1, i, "/x"});
  }
  const auto runs = log.runs_between(0, 100 * ms);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs.front().request_id, 8u);
  EXPECT_EQ(runs.back().request_id, 10u);
}

TEST(WaitedBehind, SumsTheOverlapPerRequestLongestFirstAndLeavesItselfOut) {
  const loop_tracking::ready_wait queued{0, 800 * ms, "loop-0"};
  const std::vector<held_interval> held{
      {queued,
       {{-50 * ms, 200 * ms, 1, "/async-wrong"},  // 200 ms of it inside the wait
        {200 * ms, 400 * ms, 2, "/async-wrong"},
        {400 * ms, 450 * ms, 5, "/async-wrong"},  // itself
        {450 * ms, 800 * ms, 3, "/async-cpu"}}}};
  const auto ranked = rank_holders(5, held, 2);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].request_id, 3u);
  EXPECT_EQ(ranked[0].endpoint, "/async-cpu");
  EXPECT_DOUBLE_EQ(ranked[0].seconds, 0.35);
  EXPECT_EQ(ranked[1].request_id, 1u);  // 200 ms, as long as #2's: the first found stays first
  EXPECT_DOUBLE_EQ(ranked[1].seconds, 0.2);
}

TEST(TraceJson, HasASlicePerRunThreadNamesFlowsWarningsAndRequestTracks) {
  recording r{.from_ns = 0, .to_ns = 1000 * ms};
  r.threads.push_back({.thread = "loop-0",
                       .loop_thread = true,
                       .runs = {{10 * ms, 11 * ms, 7, "/async-endpoint"},
                                {300 * ms, 301 * ms, 7, "/async-endpoint"},
                                {400 * ms, 700 * ms, 8, "/async-wrong"}}});
  r.requests.push_back({7, "/async-endpoint", 5 * ms, 10 * ms, 302 * ms});
  r.warnings.push_back({.at_ns = 500 * ms, .thread = "loop-0", .request_id = 8, .text = "blocked"});
  const auto trace = json::parse(trace_json(r, 42, 1700000000.0)).as_object();
  std::map<std::string, int> phases;
  for (const auto& e : trace.at("traceEvents").as_array()) {
    ++phases[std::string(e.at("ph").as_string())];
    EXPECT_EQ(e.at("pid"), 42);
    if (e.at("ph") == "X" && e.at("name") == "/async-wrong #8") {
      EXPECT_DOUBLE_EQ(e.at("ts").as_double(), 400000.0);
      EXPECT_DOUBLE_EQ(e.at("dur").as_double(), 300000.0);
      EXPECT_EQ(e.at("tid"), 1);
    }
  }
  EXPECT_EQ(phases["X"], 3);
  EXPECT_EQ(phases["s"], 1);  // request 7's two runs, joined
  EXPECT_EQ(phases["f"], 1);
  EXPECT_EQ(phases["i"], 1);
  EXPECT_EQ(phases["b"], 2);  // request 7, and its queued part
  EXPECT_EQ(phases["e"], 2);
  EXPECT_DOUBLE_EQ(trace.at("otherData").at("ts_0_unix_seconds").as_double(), 1700000000.0);
}

TEST(Names, ACoroutinesFunctionNameIsItsLastComponent) {
  EXPECT_EQ(coroutine_name("asio::awaitable<void> asyncscope::{anonymous}::async_depth_2(const "
                           "asyncscope::request_info&)"),
            "async_depth_2");
  EXPECT_EQ(coroutine_name("async_depth_2"), "async_depth_2");
}

TEST(Names, SourcePathsAreNamedFromTheProjectsRoot) {
  EXPECT_EQ(project_path("../../server/lesson.cpp"), "server/lesson.cpp");
  EXPECT_EQ(
      project_path(std::string(ASYNCSCOPE_SOURCE_DIR) + "/build/debug/../../server/lesson.cpp"),
      "server/lesson.cpp");
  EXPECT_EQ(project_path("/usr/include/c++/12/thread"), "/usr/include/c++/12/thread");
}

TEST(BlockingSite, ReadsAsFunctionFileLineAndCallee) {
  const blocking_site site{.function = "async_wrong",
                           .file = "server/lesson.cpp",
                           .line = 95,
                           .callee = "std::this_thread::sleep_for"};
  EXPECT_EQ(site.text(), "async_wrong (server/lesson.cpp:95) ← std::this_thread::sleep_for");
  EXPECT_EQ(blocking_site{}.text(), "");
}
