// The client's sustained mode (--duration): connections kept alive and busy for a time, and the
// throughput it reports.

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <future>
#include <regex>
#include <string>

namespace json = boost::json;
using asyncscope::testing::fire;
using asyncscope::testing::http_request;
using asyncscope::testing::parse_http_answer;
using asyncscope::testing::raw_exchange;
using asyncscope::testing::run_client_against;
using asyncscope::testing::scaled;
using asyncscope::testing::seconds_since;
using asyncscope::testing::seconds_text;
using asyncscope::testing::server_process;

namespace {

// asyncscope_connections_open from /metrics.
int connections_open(const server_process& server) {
  const auto metrics =
      parse_http_answer(raw_exchange(server.port(), http_request("GET /metrics"))).body;
  std::smatch m;
  if (!std::regex_search(metrics, m, std::regex{R"(\nasyncscope_connections_open (\d+))"})) {
    ADD_FAILURE() << "no asyncscope_connections_open in\n" << metrics;
    return -1;
  }
  return std::stoi(m[1]);
}

}  // namespace

TEST(Sustained, KeepsItsConnectionsBusyForTheDurationAndReportsRequestsPerSecond) {
  server_process server;
  const double sleep = scaled(0.05);
  const double duration = scaled(1.5);
  const auto start = std::chrono::steady_clock::now();
  auto run = std::async(std::launch::async, [&] {
    return fire(server, "async-endpoint?sleep=" + seconds_text(sleep), 3,
                {"--duration", seconds_text(duration)});
  });
  // Halfway through, the server holds the client's three connections (and this one): kept
  // alive, not one per request.
  std::this_thread::sleep_for(std::chrono::duration<double>(duration / 2));
  EXPECT_EQ(connections_open(server), 3 + 1);
  const auto summary = run.get();
  const double took = seconds_since(start);
  EXPECT_GE(took, duration);
  EXPECT_LT(took, duration + scaled(1.0));

  // Three connections, each asking again as soon as it is answered: at most 3 per sleep.
  const auto ok = summary.at("ok").as_int64();
  EXPECT_EQ(summary.at("failed"), 0) << summary;
  EXPECT_EQ(summary.at("count").as_int64(), ok) << summary;
  EXPECT_LE(static_cast<double>(ok), 3 * (duration / sleep + 1)) << summary;
  EXPECT_GE(static_cast<double>(ok), 3 * duration / sleep / 3) << summary;  // a busy machine
  const double per_second = summary.at("requests_per_second").to_number<double>();
  EXPECT_NEAR(per_second, static_cast<double>(ok) / summary.at("total_time").to_number<double>(),
              0.2 * per_second)
      << summary;
  EXPECT_LE(per_second, 3 / sleep * 1.05) << summary;
  EXPECT_EQ(summary.at("server_threads"), (json::object{{"loop-0", ok}})) << summary;
  EXPECT_EQ(summary.at("max_overlap"), 3) << summary;
}

TEST(Sustained, SaysItsThroughputInTheSummaryAndListsNoResponses) {
  server_process server;
  const auto run = run_client_against(server, "async-endpoint?sleep=0", 2, {"--duration", "0.3"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(std::regex_search(
      run.out, std::regex{R"(throughput: +[0-9.]+ requests/s \(\d+ answered in [0-9.]+ s, 2 )"
                          R"(connections kept alive\))"}))
      << run.out;
  EXPECT_EQ(run.out.find("Response 1:"), std::string::npos) << run.out;
}

TEST(Sustained, ACountedRunReportsNoThroughput) {
  server_process server;
  const auto summary = fire(server, "async-endpoint?sleep=0", 2);
  EXPECT_TRUE(summary.at("requests_per_second").is_null()) << summary;
}
