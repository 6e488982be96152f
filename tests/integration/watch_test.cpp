// Watching the server: the blocking detector, /metrics, and the dashboard's event stream.

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

namespace json = boost::json;
using asyncscope::testing::http_request;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_connection;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::run_client;
using asyncscope::testing::run_program;
using asyncscope::testing::server_process;

namespace {

void fire(const server_process& server, const std::string& target, int count) {
  const auto run = run_client(
      {"-e", target, "-c", std::to_string(count), "--port", std::to_string(server.port()), "-q"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

// The time of day, in seconds, of the first log line that contains `text`.
std::optional<double> logged_at(const std::string& log, const std::string& text) {
  std::istringstream lines{log};
  std::string line;
  const std::regex time{R"(^(\d\d):(\d\d):(\d\d\.\d+) )"};
  while (std::getline(lines, line)) {
    std::smatch m;
    if (line.find(text) == std::string::npos || !std::regex_search(line, m, time)) continue;
    return std::stod(m[1]) * 3600 + std::stod(m[2]) * 60 + std::stod(m[3]);
  }
  return std::nullopt;
}

std::string metrics_of(const server_process& server) {
  const auto answer = parse_http_answer(raw_exchange(server.port(), http_request("GET /metrics")));
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.head.find("text/plain; version=0.0.4"), std::string::npos) << answer.head;
  return answer.body;
}

}  // namespace

TEST(BlockingDetector, WarnsWhileTheLoopIsBlockedAndNamesTheRequest) {
  server_process server{{"--block-warn-ms", "100"}};
  fire(server, "/async-wrong?sleep=0.3", 1);
  ASSERT_TRUE(server.wait_for_output("was blocked"));
  const auto log = server.output();
  const auto block_started = logged_at(log, "/async-wrong #1 sleep 0.3 s, starting the I/O now");
  const auto first_warning = logged_at(log, "WARN loop-0 blocked");
  const auto recovered = logged_at(log, "WARN loop-0 was blocked");
  ASSERT_TRUE(block_started && first_warning && recovered) << log;
  EXPECT_GE(*first_warning - *block_started, 0.09) << log;
  EXPECT_LT(*first_warning - *block_started, 0.25) << log;
  EXPECT_LT(*first_warning, *recovered) << "the warning came while it was still blocked\n" << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("WARN loop-0 blocked 1\\d\\d ms so far by "
                                                "/async-wrong #1 in async_wrong \\(")))
      << log;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(log, m,
                                std::regex("WARN loop-0 was blocked (\\d+) ms by "
                                           "/async-wrong #1; it is back in the loop")))
      << log;
  EXPECT_NEAR(std::stod(m[1]), 300, 15) << log;  // within 5%
}

TEST(BlockingDetector, AThresholdAboveTheBlockStaysQuiet) {
  server_process server{{"--block-warn-ms", "500"}};
  fire(server, "/async-wrong?sleep=0.2", 2);
  ASSERT_EQ(server.stop(SIGTERM), 0);
  EXPECT_EQ(server.output().find("WARN loop-"), std::string::npos) << server.output();
}

TEST(BlockingDetector, TwoThousandConcurrentAsyncRequestsRaiseNoWarning) {
  server_process server{{"--log-level", "warn"}};
  fire(server, "/async-endpoint?sleep=0.3", 2000);
  ASSERT_EQ(server.stop(SIGTERM), 0);
  EXPECT_EQ(server.output().find("WARN loop-"), std::string::npos) << server.output();
}

TEST(Metrics, CountRequestsByEndpointAndStatus) {
  server_process server;
  fire(server, "/async-endpoint?sleep=0.1", 3);
  parse_http_answer(raw_exchange(server.port(), http_request("GET /nope")));
  parse_http_answer(raw_exchange(server.port(), http_request("GET /async-wrong?sleep=x")));
  fire(server, "/async-wrong?sleep=0.15", 1);
  const auto text = metrics_of(server);
  for (const auto* line : {
           R"(asyncscope_requests_total{endpoint="/async-endpoint",status="200"} 3)",
           R"(asyncscope_requests_total{endpoint="unmatched",status="404"} 1)",
           R"(asyncscope_requests_total{endpoint="/async-wrong",status="400"} 1)",
           R"(asyncscope_requests_total{endpoint="/async-wrong",status="200"} 1)",
           R"(asyncscope_request_duration_seconds_bucket{endpoint="/async-endpoint",le="0.05"} 0)",
           R"(asyncscope_request_duration_seconds_bucket{endpoint="/async-endpoint",le="0.25"} 3)",
           R"(asyncscope_request_duration_seconds_bucket{endpoint="/async-endpoint",le="+Inf"} 3)",
           R"(asyncscope_request_duration_seconds_count{endpoint="/async-endpoint"} 3)",
           "asyncscope_requests_in_flight 1",  // this very request
           "asyncscope_pool_threads 40",
           "asyncscope_pool_queue_depth 0",
           "asyncscope_pool_busy_workers 0",
       }) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\nin:\n" << text;
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      text, m,
      std::regex(R"(asyncscope_loop_blocked_seconds_total\{thread="loop-0"\} ([0-9.e-]+))")))
      << text;
  EXPECT_NEAR(std::stod(m[1]), 0.15, 0.03);
}

TEST(Metrics, PoolGaugesShowBusyAndQueuedWorkers) {
  server_process server{{"--pool-threads", "2"}};
  std::thread load{[&] { fire(server, "/sync-endpoint?sleep=0.3", 5); }};
  ASSERT_TRUE(server.wait_for_output("starting the I/O now", std::chrono::seconds(5), 2));
  const auto text = metrics_of(server);
  load.join();
  EXPECT_NE(text.find("asyncscope_pool_busy_workers 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("asyncscope_pool_queue_depth 3\n"), std::string::npos) << text;
}

// The Prometheus project's own Python client parses the page (python3-prometheus-client).
TEST(Metrics, PrometheusParserReadsThePage) {
  server_process server;
  fire(server, "/async-wrong?sleep=0.15", 2);
  fire(server, "/sync-endpoint?sleep=0.1", 2);
  const auto path = ::testing::TempDir() + "asyncscope-metrics.txt";
  std::ofstream{path} << metrics_of(server);
  const auto parsed = run_program("/usr/bin/python3", {"-c", R"(
import sys
from prometheus_client.parser import text_string_to_metric_families
families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
for f in sorted(families.values(), key=lambda f: f.name):
    for s in f.samples:
        print(f.type, s.name, ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())), s.value)
)",
                                                       path});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  const auto& out = parsed.out;
  EXPECT_NE(out.find("counter asyncscope_requests_total endpoint=/async-wrong,status=200 2.0\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("counter asyncscope_requests_total endpoint=/sync-endpoint,status=200 2.0\n"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find("histogram asyncscope_request_duration_seconds_count endpoint=/async-wrong 2.0"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("gauge asyncscope_pool_threads  40.0"), std::string::npos) << out;
  EXPECT_NE(out.find("counter asyncscope_loop_blocked_seconds_total thread=loop-0 0.3"),
            std::string::npos)
      << out;
}

TEST(Dashboard, TheEventStreamKeepsMovingWhileTheLoopIsBlocked) {
  server_process server{{"--block-warn-ms", "100"}};
  raw_connection events{server.port()};
  events.send(http_request("GET /events", true));
  std::thread wrong{[&] { fire(server, "/async-wrong?sleep=0.6", 1); }};
  const auto stream = events.read_until_closed(std::chrono::milliseconds(900));
  wrong.join();
  EXPECT_NE(stream.find("Content-Type: text/event-stream"), std::string::npos) << stream;
  EXPECT_NE(stream.find("event: hello\ndata: {"), std::string::npos) << stream;
  EXPECT_NE(
      stream.find(R"("phase": "start", "id": 1, "endpoint": "/async-wrong", "thread": "loop-0")"),
      std::string::npos)
      << stream;
  // Status events kept coming while the loop was blocked, each saying for how long.
  const std::regex blocked{
      R"("thread": "loop-0", "blocked_now": (0\.\d+), "blocked_by": "/async-wrong #1")"};
  std::vector<double> seen;
  for (auto it = std::sregex_iterator(stream.begin(), stream.end(), blocked);
       it != std::sregex_iterator(); ++it) {
    seen.push_back(std::stod((*it)[1]));
  }
  ASSERT_GE(seen.size(), 3u) << stream;
  EXPECT_LT(seen.front(), seen.back());  // growing
  EXPECT_NE(stream.find("event: warning\ndata: {\"text\": \"loop-0 blocked"), std::string::npos)
      << stream;
}

TEST(Dashboard, FireSendsTheRequestsFromTheServerItself) {
  server_process server;
  const auto answer = parse_http_answer(raw_exchange(
      server.port(), http_request("POST /fire?endpoint=/async-endpoint&count=3&sleep=0.1")));
  EXPECT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(answer.json.at("fired").as_int64(), 3);
  EXPECT_TRUE(server.wait_for_output("/async-endpoint #", std::chrono::seconds(5), 1));
  EXPECT_TRUE(server.wait_for_output("done: sleep 0.1 s", std::chrono::seconds(5), 3))
      << server.output();
}

TEST(Dashboard, ThePageIsServedAtTheRoot) {
  server_process server;
  const auto answer = parse_http_answer(raw_exchange(server.port(), http_request("GET /")));
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.head.find("text/html"), std::string::npos) << answer.head;
  EXPECT_NE(answer.body.find("<html"), std::string::npos);
}
