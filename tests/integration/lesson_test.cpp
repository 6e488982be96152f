// The lesson, end to end: the real server on a free port, the real client, sleep 0.2 s (longer
// in a slower build: timing.hpp). Margins are wide enough for a busy 2-core machine and narrow
// enough to tell the three apart.

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <regex>
#include <set>
#include <thread>

namespace json = boost::json;
using asyncscope::testing::http_request;
using asyncscope::testing::number;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::run_client;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;

namespace {

// One simulated I/O.
double one_sleep() {
  return scaled(0.2);
}

// The client's summary of `count` requests to `endpoint`, each asking for one sleep.
json::object summary_of(const server_process& server, const std::string& endpoint, int count) {
  return asyncscope::testing::fire(server, endpoint, count, {"--sleep", seconds_text(one_sleep())});
}

// The elapsed time in the first log line that matches `line` followed by "elapsed <seconds> s".
double elapsed_in(const std::string& log, const std::string& line) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(line + R"(, elapsed (\d+\.\d+) s)"))) {
    ADD_FAILURE() << line << "\nin:\n" << log;
    return -1;
  }
  return std::stod(m[1]);
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

std::uint64_t log_lines_dropped(const server_process& server) {
  const auto page =
      parse_http_answer(raw_exchange(server.port(), http_request("GET /metrics"))).body;
  std::smatch m;
  if (!std::regex_search(page, m, std::regex(R"(\nasyncscope_log_lines_dropped_total (\d+)\n)"))) {
    ADD_FAILURE() << "no asyncscope_log_lines_dropped_total in:\n" << page;
    return 0;
  }
  return std::stoull(m[1]);
}

// What the WARN lines about dropped log lines add up to.
std::uint64_t drops_warned_about(const std::string& log) {
  std::uint64_t sum = 0;
  const std::regex warning{R"(\(log-writer\) \| WARN (\d+) log line\(s\) dropped)"};
  for (std::sregex_iterator it{log.begin(), log.end(), warning}, end; it != end; ++it) {
    sum += std::stoull((*it)[1]);
  }
  return sum;
}

}  // namespace

TEST(Lesson, TwentyAsyncRequestsFinishInUnderTwoSleepsOnOneThread) {
  server_process server;
  const auto summary = summary_of(server, "async-endpoint", 20);
  EXPECT_EQ(summary.at("ok").as_int64(), 20);
  EXPECT_LT(number(summary.at("total_time")), 2 * one_sleep());
  EXPECT_GE(number(summary.at("total_time")), one_sleep());
  const auto& threads = summary.at("server_threads").as_object();
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_TRUE(threads.contains("loop-0"));
  EXPECT_GE(summary.at("max_overlap").as_int64(), 15);
}

TEST(Lesson, FiveAsyncWrongRequestsRunOneAfterAnother) {
  server_process server;
  const auto summary = summary_of(server, "async-wrong", 5);
  EXPECT_EQ(summary.at("ok").as_int64(), 5);
  EXPECT_GE(number(summary.at("total_time")), 4.5 * one_sleep());
  EXPECT_EQ(summary.at("max_overlap").as_int64(), 1);
  EXPECT_TRUE(summary.at("server_threads").as_object().contains("loop-0"));
}

TEST(Lesson, FortyOneSyncRequestsTakeTwoSleepsOnFortyPoolThreads) {
  server_process server;
  const auto summary = summary_of(server, "sync-endpoint", 41);
  EXPECT_EQ(summary.at("ok").as_int64(), 41);
  const double total = number(summary.at("total_time"));
  EXPECT_GE(total, 1.9 * one_sleep());
  EXPECT_LT(total, 3.0 * one_sleep());
  // Every pool thread held one request at once: all 41 arrive well within one sleep, and the
  // server only counts as started once its 40 pool threads run (processes.cpp).
  const auto& threads = summary.at("server_threads").as_object();
  EXPECT_EQ(threads.size(), 40u);
  for (const auto& [name, count] : threads) {
    EXPECT_EQ(std::string(name).rfind("pool-", 0), 0u) << name;
  }
}

TEST(Lesson, FewerPoolThreadsMeanMoreWaves) {
  server_process server{{"--pool-threads", "2"}};
  const auto summary = summary_of(server, "sync-endpoint", 6);
  const double total = number(summary.at("total_time"));
  EXPECT_GE(total, 2.9 * one_sleep());  // 6 requests, 2 at a time: 3 waves
  EXPECT_LT(total, 4.5 * one_sleep());
  EXPECT_EQ(summary.at("max_overlap").as_int64(), 2);
}

TEST(Lesson, LogsTellWhichProcessAndThreadRanEachStep) {
  server_process server;
  const std::string pid = std::to_string(server.pid());
  summary_of(server, "async-endpoint", 1);
  summary_of(server, "sync-endpoint", 1);
  ASSERT_EQ(server.stop(SIGTERM), 0);  // and the log is complete
  const auto log = server.output();
  const std::string loop = "Process ID: " + pid + R"( \| Thread ID: \d+ \(loop-0\) \| )";
  const std::string pool = "Process ID: " + pid + R"( \| Thread ID: \d+ \(pool-\d\d\) \| )";
  for (const auto& line :
       {loop + "/async-endpoint #1 just called", loop + "/async-endpoint #1 I'm just in depth 1",
        loop + "/async-endpoint #1 I'm just in depth 2",
        loop + "/async-endpoint #1 Came back to depth 2",
        loop + "/async-endpoint #1 Came back to depth 1",
        loop + "/sync-endpoint #2 handed to the worker pool",
        pool + "/sync-endpoint #2 just called"}) {
    EXPECT_TRUE(std::regex_search(log, std::regex(line))) << line << "\nin:\n" << log;
  }
  // Each says how long its sleep took: the sleep, and a little more.
  const auto sleep = seconds_text(one_sleep());
  for (const auto& line : {loop + "/async-endpoint #1 done: sleep " + sleep + " s",
                           pool + "/sync-endpoint #2 done: sleep " + sleep + " s"}) {
    const double elapsed = elapsed_in(log, line);
    EXPECT_GE(elapsed, one_sleep()) << line;
    EXPECT_LT(elapsed, one_sleep() + scaled(0.1)) << line;
  }
}

// The log is written by its own thread now, yet the lesson reads as before: every line is there,
// each request's steps in order, and one loop thread starts the I/O of most requests before the
// first is done. (A 1 s sleep, so a slow machine still gets the fifty in before the first ends.)
TEST(Lesson, FiftyAsyncRequestsInterleaveInTheLogAndNoLineIsDropped) {
  server_process server;
  const auto run = run_client({"-e", "async-endpoint", "-c", "50", "--port",
                               std::to_string(server.port()), "--sleep", "1", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(json::parse(run.out).at("ok").as_int64(), 50);
  EXPECT_EQ(log_lines_dropped(server), 0u);
  ASSERT_EQ(server.stop(SIGTERM), 0);  // and the log is complete
  const auto log = server.output();
  // Thirteen lines per request, each on the loop thread: the last one its timing.
  EXPECT_EQ(count_of(log, "(loop-0) | /async-endpoint #"), 50u * 13) << "thirteen lines each";
  for (int id = 1; id <= 50; ++id) {
    std::size_t previous = 0;
    for (const auto* step :
         {"just called", "sleep 1 s, starting the I/O now", "I'm just in depth 1",
          "I'm just in depth 2", "Came back to depth 2", "depth 1 DONE", "done: sleep 1 s",
          "timing: queued"}) {
      const auto at = log.find("/async-endpoint #" + std::to_string(id) + " " + step);
      ASSERT_NE(at, std::string::npos) << "#" << id << " " << step << "\nin:\n" << log;
      EXPECT_GT(at, previous) << "#" << id << " " << step << " out of order";
      previous = at;
    }
  }
  const auto first_done = log.find("done: sleep");
  EXPECT_GE(count_of(log.substr(0, first_done), "starting the I/O now"), 25u) << log;
  EXPECT_EQ(log.find("log line(s) dropped"), std::string::npos) << log;
}

// With room for one line, fifty requests overflow the log queue: every dropped line is counted
// in /metrics, and the warnings in the log (at most one a second) add up to the same count.
TEST(Lesson, WithATinyLogQueueDroppedLinesAreCountedAndWarnedAbout) {
  server_process server{{"--log-queue", "1"}};
  const auto summary = fire(server, "async-endpoint", 50);
  EXPECT_EQ(summary.at("ok").as_int64(), 50);  // the requests do not wait for the log
  const auto dropped = log_lines_dropped(server);
  EXPECT_GT(dropped, 0u);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (drops_warned_about(server.output()) < dropped &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(drops_warned_about(server.output()), dropped) << server.output();
}

TEST(Lesson, AtWarnLevelNoRequestLogsALine) {
  server_process server{{"--log-level", "warn"}};
  summary_of(server, "async-endpoint", 3);
  summary_of(server, "sync-endpoint", 3);
  summary_of(server, "async-wrong", 2);
  EXPECT_EQ(parse_http_answer(raw_exchange(server.port(), http_request("GET /healthz"))).status,
            200);
  EXPECT_EQ(parse_http_answer(raw_exchange(server.port(), http_request("GET /nope"))).status, 404);
  ASSERT_EQ(server.stop(SIGTERM), 0);  // and the log is complete
  const auto log = server.output();
  EXPECT_NE(log.find("SIGTERM"), std::string::npos) << "warnings still show:\n" << log;
  EXPECT_NE(log.find("WARN loop-0 blocked"), std::string::npos) << "the detector still warns";
  // Apart from the detector's warnings, no line names a request.
  EXPECT_FALSE(std::regex_search(log, std::regex(R"(\) \| (?!WARN)[^\n]* #[0-9])"))) << log;
  EXPECT_EQ(log.find("just called"), std::string::npos) << log;
}

TEST(Lesson, TwentyAsyncRequestsOnTwoLoopThreadsFinishInUnderTwoSleepsOnLoopThreadsOnly) {
  server_process server{{"--loop-threads", "2"}};
  const auto summary = summary_of(server, "async-endpoint", 20);
  EXPECT_EQ(summary.at("ok").as_int64(), 20);
  EXPECT_LT(number(summary.at("total_time")), 2 * one_sleep());
  const auto& threads = summary.at("server_threads").as_object();
  EXPECT_FALSE(threads.empty());
  for (const auto& [name, count] : threads) {
    EXPECT_TRUE(name == "loop-0" || name == "loop-1") << name;
  }
}

TEST(Lesson, FortyOneSyncRequestsStillRunOnThePoolWithTwoLoopThreads) {
  server_process server{{"--loop-threads", "2"}};
  const auto summary = summary_of(server, "sync-endpoint", 41);
  EXPECT_EQ(summary.at("ok").as_int64(), 41);
  EXPECT_EQ(summary.at("failed").as_int64(), 0);
  EXPECT_LT(number(summary.at("total_time")), 3.0 * one_sleep());
  for (const auto& [name, count] : summary.at("server_threads").as_object()) {
    EXPECT_EQ(std::string(name).rfind("pool-", 0), 0u) << name;
  }
}

TEST(Lesson, ASuccessfulResponseIsJsonWithExactlyTheContractKeys) {
  server_process server;
  const std::set<std::string> contract_keys{
      "message",     "endpoint",   "request_id",  "pid",      "thread_id",     "thread_name",
      "sleep",       "started_at", "finished_at", "duration", "timing",        "waited_behind"};
  const std::regex content_type_json{"\r\nContent-Type: application/json(\r\n|$)"};
  for (const std::string endpoint : {"/sync-endpoint", "/async-endpoint", "/async-wrong"}) {
    const auto answer = parse_http_answer(
        raw_exchange(server.port(), http_request("GET " + endpoint + "?sleep=0.05")));
    ASSERT_EQ(answer.status, 200) << endpoint << answer.head << answer.body;
    EXPECT_TRUE(std::regex_search(answer.head, content_type_json)) << answer.head;
    std::set<std::string> keys;
    for (const auto& [key, value] : answer.json) keys.emplace(key);
    EXPECT_EQ(keys, contract_keys) << endpoint << ": " << answer.body;
    EXPECT_EQ(answer.json.at("endpoint"), json::value(endpoint));
  }
}

TEST(Lesson, ResponseBodyFollowsTheSchema) {
  server_process server;
  const auto run = run_client({"-e", "sync-endpoint", "--port", std::to_string(server.port()),
                               "--sleep", seconds_text(one_sleep())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(run.out, m, std::regex("Response 1: (\\{.*\\})")));
  const auto body = json::parse(m[1].str()).as_object();
  EXPECT_EQ(body.at("message").as_string(), "Sync endpoint completed!");
  EXPECT_EQ(body.at("endpoint").as_string(), "/sync-endpoint");
  EXPECT_EQ(body.at("pid").as_int64(), server.pid());
  EXPECT_NE(body.at("thread_id").as_int64(), server.pid());  // a pool thread, not main
  EXPECT_NEAR(number(body.at("finished_at")) - number(body.at("started_at")), one_sleep(),
              scaled(0.05));
  EXPECT_NEAR(number(body.at("duration")), one_sleep(), scaled(0.05));
  EXPECT_NE(run.out.find("TOTAL TIME: "), std::string::npos);
}
