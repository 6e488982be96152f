// The other pitfalls and the fix, end to end: the real server, the real client, short sleeps
// (longer in a slower build: timing.hpp).

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <regex>
#include <thread>

namespace json = boost::json;
using asyncscope::testing::fire;
using asyncscope::testing::http_request;
using asyncscope::testing::number;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_since;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;

TEST(Pitfalls, FiveOffloadedRequestsOverlapOnPoolThreads) {
  server_process server;
  const double sleep = scaled(0.2);
  const auto summary = fire(server, "/async-offload?sleep=" + seconds_text(sleep), 5);
  EXPECT_EQ(summary.at("ok").as_int64(), 5);
  EXPECT_LT(number(summary.at("total_time")), 2 * sleep);
  EXPECT_EQ(summary.at("max_overlap").as_int64(), 5);
  for (const auto& [name, count] : summary.at("server_threads").as_object()) {
    EXPECT_EQ(std::string(name).rfind("pool-", 0), 0u) << name;
  }
}

TEST(Pitfalls, WhileAnOffloadedSleepRunsTheLoopAnswersAtOnce) {
  server_process server;
  std::thread slow{[&] { fire(server, "/async-offload?sleep=" + seconds_text(scaled(0.3)), 1); }};
  ASSERT_TRUE(server.wait_for_output("on the worker pool, starting the I/O now"));
  const auto start = std::chrono::steady_clock::now();
  const auto health = parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz")));
  const double took = seconds_since(start);
  slow.join();
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(took, scaled(0.1));  // a third of the sleep
  ASSERT_EQ(server.stop(SIGTERM), 0);  // its log complete: nothing below may still be on its way
  EXPECT_EQ(server.output().find("WARN"), std::string::npos) << server.output();
}

TEST(Pitfalls, ForgettingTheAwaitAnswersAtOnceAndSaysNoIoHappened) {
  server_process server;
  const double sleep = scaled(0.3);
  const auto start = std::chrono::steady_clock::now();
  const auto answer = parse_http_answer(raw_exchange(
      server.port(), http_request("GET /async-forgot-await?sleep=" + seconds_text(sleep))));
  EXPECT_LT(seconds_since(start), sleep / 2);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_DOUBLE_EQ(number(answer.json.at("sleep")), sleep);
  EXPECT_LT(number(answer.json.at("duration")), scaled(0.05));
  EXPECT_NE(std::string(answer.json.at("note").as_string()).find("never co_awaited"),
            std::string::npos);
  ASSERT_EQ(server.stop(SIGTERM), 0);
  const auto log = server.output();
  EXPECT_NE(log.find("/async-forgot-await #1 depth 1 was never awaited"), std::string::npos) << log;
  EXPECT_EQ(log.find("I'm just in depth 1"), std::string::npos) << log;  // depth 1 never ran
}

TEST(Pitfalls, ComputingInACoroutineBlocksTheLoopLikeASleep) {
  server_process server;
  const double work = scaled(0.2);
  const auto summary = fire(server, "/async-cpu?work=" + seconds_text(work), 3);
  EXPECT_EQ(summary.at("ok").as_int64(), 3);
  EXPECT_GE(number(summary.at("total_time")), 2.7 * work);
  EXPECT_EQ(summary.at("max_overlap").as_int64(), 1);
  EXPECT_TRUE(summary.at("server_threads").as_object().contains("loop-0"));
  EXPECT_TRUE(server.wait_for_output("WARN loop-0 blocked", std::chrono::seconds(2)));
  EXPECT_NE(server.output().find("by /async-cpu #"), std::string::npos) << server.output();
}

TEST(Pitfalls, AsyncCpuRejectsAWorkThatIsNotANumber) {
  server_process server;
  const auto answer =
      parse_http_answer(raw_exchange(server.port(), http_request("GET /async-cpu?work=lots")));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.json.at("error").as_string(), "bad_work");
}
