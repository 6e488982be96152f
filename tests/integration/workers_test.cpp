// --workers N: several server processes on one port, a parent that replaces one that dies and
// drains them all on SIGTERM. The real server, the real client, sleep 0.2 s.

#include "processes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <csignal>
#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace json = boost::json;
using asyncscope::testing::number;
using asyncscope::testing::run_client;
using asyncscope::testing::server_process;

namespace {

// 50 requests at once, each on its own connection: the kernel hashes each connection's source
// port to one of the workers' sockets, so with two workers both get some (all 50 going to one
// of two has odds of 2 in 2^50).
json::object fifty_async_requests(const server_process& server) {
  const auto run = run_client({"-e", "async-endpoint", "-c", "50", "--port",
                               std::to_string(server.port()), "--sleep", "0.2", "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  return json::parse(run.out).as_object();
}

// The pids that answered, from the client's summary.
std::set<std::int64_t> pids_that_answered(const json::object& summary) {
  std::set<std::int64_t> pids;
  for (const auto& pid : summary.at("server_pids").as_array()) pids.insert(pid.as_int64());
  return pids;
}

// The pids the parent says it started, from its "worker N started: pid P" lines.
std::vector<pid_t> started_workers(const std::string& log) {
  std::vector<pid_t> pids;
  const std::regex started{R"(\| worker \d+ started: pid (\d+))"};
  for (std::sregex_iterator it{log.begin(), log.end(), started}, end; it != end; ++it) {
    pids.push_back(std::stoi((*it)[1]));
  }
  return pids;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

}  // namespace

TEST(Workers, TwoWorkersServeFiftyAsyncRequestsFromTwoProcesses) {
  server_process server{{"--workers", "2"}};
  const auto summary = fifty_async_requests(server);

  EXPECT_EQ(summary.at("ok"), 50);
  const auto pids = pids_that_answered(summary);
  EXPECT_EQ(pids.size(), 2u) << json::serialize(summary);
  std::int64_t answers = 0;
  for (const auto& [pid, n] : summary.at("answers_per_pid").as_object()) {
    answers += n.as_int64();
  }
  EXPECT_EQ(answers, 50);
  EXPECT_LT(number(summary.at("total_time")), 1.5);  // each worker's loop overlaps its share
  const auto log = server.output();
  EXPECT_EQ(count_of(log, "listening on http://"), 1u) << log;  // once, for all the workers
  for (const auto pid : pids) {  // every log line names the process that wrote it
    EXPECT_NE(log.find("Process ID: " + std::to_string(pid) + " |"), std::string::npos) << pid;
  }
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
}

TEST(Workers, AKilledWorkerIsReplacedAndSigtermEndsThemAll) {
  server_process server{{"--workers", "2"}};
  const auto first = started_workers(server.output());
  ASSERT_EQ(first.size(), 2u) << server.output();

  ASSERT_EQ(::kill(first[0], SIGKILL), 0);
  const auto death =
      "worker 0 (pid " + std::to_string(first[0]) + ") was killed by SIGKILL; starting a new one";
  ASSERT_TRUE(server.wait_for_output(death)) << server.output();
  ASSERT_TRUE(server.wait_for_output("is listening", std::chrono::seconds(10), 3))
      << server.output();
  const auto workers = started_workers(server.output());
  ASSERT_EQ(workers.size(), 3u) << server.output();

  const auto summary = fifty_async_requests(server);
  EXPECT_EQ(summary.at("ok"), 50);
  EXPECT_EQ(pids_that_answered(summary), (std::set<std::int64_t>{workers[1], workers[2]}))
      << json::serialize(summary);

  EXPECT_EQ(server.stop(SIGTERM), 0) << server.output();
  EXPECT_NE(server.output().find("all workers stopped; bye"), std::string::npos) << server.output();
  for (const auto pid : workers) EXPECT_FALSE(process_exists(pid)) << pid;
}

TEST(Workers, APortInUseIsNamedOnceAndExitsOne) {
  server_process first{};
  const auto run = asyncscope::testing::run_program(
      ASYNCSCOPE_SERVER_PATH, {"--workers", "2", "--port", std::to_string(first.port())});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(count_of(run.err, "cannot listen on 127.0.0.1:"), 1u) << run.err;
}
