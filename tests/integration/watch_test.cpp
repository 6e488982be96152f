// Watching the server: the blocking detector and /metrics (the dashboard: dashboard_test.cpp).

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

namespace json = boost::json;
using asyncscope::testing::fire;
using asyncscope::testing::http_request;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::run_program;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;
using namespace std::chrono_literals;

namespace {

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

// The server's latency histogram buckets that a request of 0.1 s or more may land in.
constexpr double buckets[] = {0.25, 0.5, 1.0, 2.5, 5.0};

// --block-warn-ms for `threshold`.
std::string ms_text(std::chrono::milliseconds threshold) {
  return std::to_string(threshold.count());
}

}  // namespace

TEST(BlockingDetector, WarnsWhileTheLoopIsBlockedAndNamesTheRequest) {
  server_process server{{"--block-warn-ms", "100"}};
  ASSERT_TRUE(server.wait_until_lines_can_be_named()) << server.output();
  const double block = scaled(0.3);
  const auto sleep = seconds_text(block);
  fire(server, "/async-wrong?sleep=" + sleep, 1);
  ASSERT_TRUE(server.wait_for_output("was blocked"));
  const auto log = server.output();
  const auto block_started =
      logged_at(log, "/async-wrong #1 sleep " + sleep + " s, starting the I/O now");
  const auto first_warning = logged_at(log, "WARN loop-0 blocked");
  const auto recovered = logged_at(log, "WARN loop-0 was blocked");
  ASSERT_TRUE(block_started && first_warning && recovered) << log;
  EXPECT_LT(*first_warning, *recovered) << "the warning came while it was still blocked\n" << log;
  // The threshold, and a little more: the watchdog looks every 10 ms, and a busy machine may
  // wake it late. (The loop thread left its loop a little before it logged that its sleep
  // starts: the warning's own figure is the one measured from that moment.)
  EXPECT_LT(*first_warning - *block_started, 0.1 + scaled(0.15)) << log;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex("WARN loop-0 blocked (\\d+) ms so far by /async-wrong #1 in async_wrong \\(")))
      << log;
  EXPECT_GE(std::stoi(m[1]), 100) << log;
  EXPECT_LT(std::stoi(m[1]), 100 + scaled(100ms).count()) << log;
  ASSERT_TRUE(std::regex_search(log, m,
                                std::regex("WARN loop-0 was blocked (\\d+) ms by "
                                           "/async-wrong #1; it is back in the loop")))
      << log;
  // The sleep, and the rest of the handler: reading the request, logging, writing the answer.
  EXPECT_GE(std::stod(m[1]), 1000 * block) << log;
  EXPECT_LT(std::stod(m[1]), 1000 * block + scaled(50ms).count()) << log;
}

TEST(BlockingDetector, AThresholdAboveTheBlockStaysQuiet) {
  server_process server{{"--block-warn-ms", ms_text(scaled(500ms))}};
  fire(server, "/async-wrong?sleep=" + seconds_text(scaled(0.2)), 2);
  ASSERT_EQ(server.stop(SIGTERM), 0);
  EXPECT_EQ(server.output().find("WARN loop-"), std::string::npos) << server.output();
}

// Waiting in co_await is not blocking: however many requests wait at once, each handler the
// loop runs is short. (The threshold is a third of the sleep, and well above how long a busy
// machine may leave the loop thread without a core.)
TEST(BlockingDetector, TwoThousandConcurrentAsyncRequestsRaiseNoWarning) {
  // 600 ms: a handler that slept its 1 s on the loop would still be named, while a loop thread
  // that a machine at a load of 15 leaves waiting for a core for 300 ms is not a block.
  server_process server{{"--log-level", "warn", "--block-warn-ms", ms_text(scaled(600ms))}};
  fire(server, "/async-endpoint?sleep=" + seconds_text(scaled(1.0)), 2000);
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
  // The async requests took their 0.1 s and a little more: all three are in the first bucket
  // that holds 0.1 s plus a margin for this build (0.25 in a plain Debug build).
  const auto roomy = *std::find_if(std::begin(buckets), std::end(buckets),
                                   [](double le) { return le >= 0.1 + scaled(0.15); });
  const auto in_roomy_bucket =
      R"(asyncscope_request_duration_seconds_bucket{endpoint="/async-endpoint",le=")" +
      seconds_text(roomy) + R"("} 3)";
  for (const auto* line : {
           R"(asyncscope_requests_total{endpoint="/async-endpoint",status="200"} 3)",
           R"(asyncscope_requests_total{endpoint="unmatched",status="404"} 1)",
           R"(asyncscope_requests_total{endpoint="/async-wrong",status="400"} 1)",
           R"(asyncscope_requests_total{endpoint="/async-wrong",status="200"} 1)",
           R"(asyncscope_request_duration_seconds_bucket{endpoint="/async-endpoint",le="0.05"} 0)",
           in_roomy_bucket.c_str(),
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
  EXPECT_GE(std::stod(m[1]), 0.15);
  EXPECT_LT(std::stod(m[1]), 0.15 + scaled(0.05));  // and the rest of the handler
}

TEST(Metrics, PoolGaugesShowBusyAndQueuedWorkers) {
  server_process server{{"--pool-threads", "2"}};
  std::thread load{[&] { fire(server, "/sync-endpoint?sleep=" + seconds_text(scaled(0.3)), 5); }};
  // While the first two sleep, the other three wait for a worker: the page shows it at some
  // point of those 0.3 s. Read again and again rather than after a log line, which the log
  // writer thread may deliver late.
  const auto both_shown = [](const std::string& text) {
    return text.find("asyncscope_pool_busy_workers 2\n") != std::string::npos &&
           text.find("asyncscope_pool_queue_depth 3\n") != std::string::npos;
  };
  std::string text = metrics_of(server);
  const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
  while (!both_shown(text) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    text = metrics_of(server);
  }
  load.join();
  EXPECT_TRUE(both_shown(text)) << text;
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
  std::smatch blocked;
  ASSERT_TRUE(std::regex_search(
      out, blocked,
      std::regex("counter asyncscope_loop_blocked_seconds_total thread=loop-0 ([0-9.e-]+)\n")))
      << out;
  EXPECT_GE(std::stod(blocked[1]), 0.3) << out;  // two blocks of 0.15 s, and their handlers
  EXPECT_LT(std::stod(blocked[1]), 0.3 + 2 * scaled(0.05)) << out;
}
